package dev.beckon.planner.store;

import dev.beckon.planner.plan.PlanningException;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.state.StateDirectories;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.function.Consumer;

/**
 * The stores of this machine, for one profile, worked on in this process: by the deploying beckon for its local
 * targets, and by beckon's agent on an SSH target for that target's.
 */
public final class LocalStore implements StoreSession {
    private final String profile;

    public LocalStore(String profile) {
        this.profile = profile;
    }

    /** Every target's store on this machine, in this process. */
    public static StoreSession.OfTarget sessions(String profile) {
        LocalStore store = new LocalStore(profile);
        return target -> store;
    }

    @Override
    public Lock lockStore(String target, Path stateDirectory, String command, Consumer<String> warnings) throws PlanningException {
        try {
            StateDirectories.verify(stateDirectory);
        } catch (IOException e) {
            throw new PlanningException("target " + target + ": " + (e instanceof SafeDirectories.UnsafePathException ? ""
                    : "cannot use its state directory " + stateDirectory + ": ") + e.getMessage() + ". Nothing was changed.", e);
        }
        DeploymentLock lock = DeploymentLock.acquire(DeploymentLock.targetLockFile(stateDirectory), "target " + target, profile, command,
                warnings);
        return lock::close;
    }

    @Override
    public void protectStoreEntries(Path stateDirectory, SortedSet<String> entries) throws PlanningException {
        StoreRoots.protect(stateDirectory, profile, entries);
    }

    @Override
    public void releaseStoreEntries(Path stateDirectory) throws PlanningException {
        StoreRoots.release(stateDirectory, profile);
    }

    @Override
    public void addStoreRoots(Path stateDirectory, SortedSet<String> entries) throws PlanningException {
        StoreRoots.addRecorded(stateDirectory, profile, entries);
    }

    @Override
    public List<GarbageCollector.StoreEntry> collectStore(Path stateDirectory, SortedSet<String> kept, SortedSet<String> dropped,
            int keepSnapshots, boolean dryRun) throws PlanningException {
        return StoreCollection.collect(stateDirectory, profile, kept, dropped, keepSnapshots, dryRun);
    }
}
