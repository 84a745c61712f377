package dev.beckon.planner.target;

import dev.beckon.activation.WarmStateFiles;
import dev.beckon.models.Sizes;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.store.Snapshots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a target does with an instance's warm state, on the target itself (in-process, or in beckon's agent there):
 * make its region when it is deployed, take, list and restore its snapshots.
 */
public final class ServiceStates {
    private ServiceStates() {}

    /** Makes the instance's region when the model gives it warm state and it is not there yet. */
    public static void ensureRegion(String profile, ManifestEntry entry) throws PlanningException {
        if (entry.stateSize().isEmpty()) {
            return;
        }
        try {
            WarmStateFiles.ensure(region(profile, entry), Sizes.parse(entry.stateSize()));
        } catch (IOException | IllegalArgumentException e) {
            throw new PlanningException(entry.id() + ": " + e.getMessage(), e);
        }
    }

    static Snapshots.Snapshot take(String profile, ManifestEntry entry) throws PlanningException {
        withState(entry);
        try {
            return Snapshots.take(region(profile, entry), directory(profile, entry));
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": cannot take a snapshot of its warm state: " + e.getMessage(), e);
        }
    }

    static List<Snapshots.Snapshot> list(String profile, ManifestEntry entry) throws PlanningException {
        withState(entry);
        try {
            return Snapshots.list(directory(profile, entry));
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": cannot list its snapshots: " + e.getMessage(), e);
        }
    }

    static void restore(String profile, ManifestEntry entry, String id) throws PlanningException {
        withState(entry);
        try {
            Snapshots.restore(Snapshots.file(directory(profile, entry), id), region(profile, entry));
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": cannot restore snapshot " + id + ": " + e.getMessage(), e);
        }
    }

    /** The file of one of the instance's snapshots, for a move to a target on this machine. */
    static Path file(String profile, ManifestEntry entry, String id) throws PlanningException {
        try {
            return Snapshots.file(directory(profile, entry), id);
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where a snapshot moved here over SSH arrives before {@link #receive} keeps it: in the instance's snapshot
     * directory, under a name the snapshots' listing and gc pass over.
     */
    public static Path incoming(String profile, ManifestEntry entry, String id) throws PlanningException {
        withState(entry);
        try {
            return Snapshots.incoming(directory(profile, entry), id);
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": " + e.getMessage(), e);
        }
    }

    /** Keeps a snapshot brought from another target among the instance's, and makes its region hold it. */
    static void receive(String profile, ManifestEntry entry, Path snapshot, String id) throws PlanningException {
        withState(entry);
        try {
            Snapshots.keep(snapshot, id, directory(profile, entry));
            Snapshots.restore(Snapshots.file(directory(profile, entry), id), region(profile, entry));
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": cannot take in the warm state moved to it: " + e.getMessage(), e);
        }
    }

    private static void withState(ManifestEntry entry) throws PlanningException {
        if (entry.stateSize().isEmpty()) {
            throw new PlanningException("service " + entry.service() + " has no warm state: give it [services." + entry.service()
                    + ".state] with a size in services.toml");
        }
    }

    private static Path region(String profile, ManifestEntry entry) {
        return WarmStateFiles.region(Path.of(entry.stateDirectory()), profile, entry.service());
    }

    private static Path directory(String profile, ManifestEntry entry) {
        return Snapshots.directory(Path.of(entry.stateDirectory()), profile, entry.service());
    }
}
