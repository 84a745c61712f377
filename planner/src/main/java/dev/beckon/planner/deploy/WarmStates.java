package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.store.Snapshots;
import dev.beckon.planner.target.TargetSession;
import dev.beckon.planner.target.TargetSessions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The warm state of the profile's deployed services (Dysnomia's snapshot and restore, Disnix's {@code --deploy-state}):
 * snapshots taken and restored on the service's target under its target lock, the profile's lock held by the command.
 */
public final class WarmStates {
    private final String profile;
    private final ProfileRecords records;
    private final TargetSessions sessions;

    WarmStates(String profile, ProfileRecords records, TargetSessions sessions) {
        this.profile = profile;
        this.records = records;
        this.sessions = sessions;
    }

    /** A snapshot and the instance it is of. */
    public record Taken(ManifestEntry entry, Snapshots.Snapshot snapshot) {}

    /** Takes a snapshot of a deployed service's warm state, while it runs; the writer never waits for it. */
    public Taken snapshot(String service, Optional<String> target) throws PlanningException {
        ManifestEntry entry = find(service, target);
        try (Locked locked = lock(entry, "snapshot")) {
            return new Taken(entry, locked.session.takeSnapshot(entry));
        }
    }

    /** The snapshots of a deployed service on its target, newest first. */
    public List<Taken> list(String service, Optional<String> target) throws PlanningException {
        ManifestEntry entry = find(service, target);
        List<Snapshots.Snapshot> found = session(entry).snapshots(entry);
        return found.stream().map(s -> new Taken(entry, s)).toList();
    }

    /**
     * Makes a deployed service's warm state hold one of its snapshots again (the newest when {@code id} is empty): stops
     * the instance, so that no process writes the region it replaces, puts the snapshot in place and activates it again.
     * Its listeners are closed meanwhile.
     */
    public Taken restore(String service, Optional<String> target, Optional<String> id) throws PlanningException {
        ManifestEntry entry = find(service, target);
        try (Locked locked = lock(entry, "restore")) {
            List<Snapshots.Snapshot> all = locked.session.snapshots(entry);
            Snapshots.Snapshot chosen;
            if (id.isPresent()) {
                chosen = all.stream().filter(s -> s.id().equals(id.get())).findFirst().orElseThrow(() -> new PlanningException(
                        entry.id() + " has no snapshot " + dev.beckon.models.Messages.quote(id.get()) + "; it has "
                                + (all.isEmpty() ? "none" : all.stream().map(Snapshots.Snapshot::id).collect(Collectors.joining(", ")))));
            } else {
                chosen = all.stream().findFirst().orElseThrow(() -> new PlanningException(entry.id()
                        + " has no snapshot to restore; take one with `beckon snapshot " + entry.service() + "`"));
            }
            try {
                locked.session.deactivate(entry);
                locked.session.flush();
                try {
                    locked.session.restoreSnapshot(entry, chosen.id());
                } finally {
                    locked.session.activate(entry);
                    locked.session.flush();
                }
            } catch (ActivationException e) {
                throw new PlanningException(e.getMessage(), e);
            }
            return new Taken(entry, chosen);
        }
    }

    /**
     * For {@code deploy --move-state}, before the deployment: each service with warm state that leaves one target for
     * one other gets there with its state. The instance that leaves is stopped first, so nothing it writes afterwards
     * is left behind; then a snapshot of its state goes to the new target and becomes its region there. The
     * deployment that follows removes the old instance and activates the new one (and, when it fails, its undo
     * activates the old one again, with its state untouched).
     *
     * @return one line per service moved
     */
    public List<String> moveBeforeDeploy(Manifest desired, Consumer<String> progress) throws PlanningException {
        Manifest current = records.recorded();
        sessions.know(current, desired);
        List<String> moved = new ArrayList<>();
        for (String service : desired.entries().stream().filter(e -> !e.stateSize().isEmpty()).map(ManifestEntry::service)
                .distinct().toList()) {
            List<ManifestEntry> wanted = desired.entries().stream().filter(e -> e.service().equals(service)).toList();
            List<ManifestEntry> running = current.entries().stream().filter(e -> e.service().equals(service)
                    && !e.stateSize().isEmpty()).toList();
            Set<String> wantedTargets = wanted.stream().map(ManifestEntry::target).collect(Collectors.toSet());
            Set<String> runningTargets = running.stream().map(ManifestEntry::target).collect(Collectors.toSet());
            List<ManifestEntry> leaving = running.stream().filter(e -> !wantedTargets.contains(e.target())).toList();
            List<ManifestEntry> arriving = wanted.stream().filter(e -> !runningTargets.contains(e.target())).toList();
            if (leaving.isEmpty() || arriving.isEmpty()) {
                continue;
            }
            if (leaving.size() > 1 || arriving.size() > 1) {
                throw new PlanningException("--move-state: service " + service + " leaves " + targets(leaving) + " for "
                        + targets(arriving) + "; beckon moves state from one target to one other only. Nothing was changed.");
            }
            moved.add(move(leaving.get(0), arriving.get(0), progress));
        }
        return moved;
    }

    /**
     * Between targets on this machine the snapshot's file is copied in place; otherwise it comes here from the source
     * over its SSH connection, into a directory of this process's own, and goes on to the destination over its own.
     */
    private String move(ManifestEntry from, ManifestEntry to, Consumer<String> progress) throws PlanningException {
        TargetSession source = session(from);
        TargetSession destination = session(to);
        try (Locked a = lock(from, "deploy --move-state"); Locked b = lock(to, "deploy --move-state")) {
            progress.accept("stopping " + from.id() + " to move its warm state to " + to.target());
            try {
                source.deactivate(from);
                source.flush();
            } catch (ActivationException e) {
                throw new PlanningException(e.getMessage(), e);
            }
            Snapshots.Snapshot snapshot = source.takeSnapshot(from);
            Path passing;
            try {
                passing = Files.createTempDirectory("beckon-move-state-");
            } catch (IOException e) {
                throw new PlanningException("--move-state: cannot make a directory here for the snapshot in passing: " + e.getMessage(), e);
            }
            try {
                destination.receiveSnapshot(to, source.fetchSnapshot(from, snapshot.id(), passing), snapshot.id());
            } finally {
                try {
                    dev.beckon.planner.store.Store.deleteTree(passing);
                } catch (IOException e) {
                    progress.accept("could not remove " + passing + " (the snapshot in passing): " + e.getMessage());
                }
            }
            return "moved the warm state of " + from.service() + " from " + from.target() + " to " + to.target()
                    + " (snapshot " + snapshot.id() + ", transaction " + snapshot.sequence() + ")";
        }
    }

    /** The deployed instance of {@code service}: the one on {@code target}, or its only one. */
    public ManifestEntry find(String service, Optional<String> target) throws PlanningException {
        Manifest current = records.recorded();
        sessions.know(current);
        List<ManifestEntry> instances = current.entries().stream().filter(e -> e.service().equals(service)).toList();
        if (instances.isEmpty()) {
            List<String> deployed = current.entries().stream().map(ManifestEntry::service).distinct().sorted().toList();
            throw new PlanningException("service " + service + " is not deployed in profile " + profile + " ("
                    + (deployed.isEmpty() ? "it runs nothing" : "deployed: " + String.join(", ", deployed)) + ")");
        }
        if (target.isPresent()) {
            return instances.stream().filter(e -> e.target().equals(target.get())).findFirst().orElseThrow(() -> new PlanningException(
                    "service " + service + " does not run on target " + target.get() + "; it runs on " + targets(instances)));
        }
        if (instances.size() > 1) {
            throw new PlanningException("service " + service + " runs on targets " + targets(instances) + ": name one with --target");
        }
        return instances.get(0);
    }

    private static String targets(List<ManifestEntry> instances) {
        return String.join(", ", instances.stream().map(ManifestEntry::target).toList());
    }

    private TargetSession session(ManifestEntry entry) throws PlanningException {
        try {
            return sessions.of(entry);
        } catch (ActivationException e) {
            throw new PlanningException("target " + entry.target() + " cannot be reached: " + e.getMessage(), e);
        }
    }

    private Locked lock(ManifestEntry entry, String command) throws PlanningException {
        TargetSession session = session(entry);
        return new Locked(session, session.lockTarget(entry.target(), Path.of(entry.stateDirectory()), command, warning -> { }));
    }

    /** A target's session while its lock is held. */
    private record Locked(TargetSession session, TargetSession.Handle lock) implements AutoCloseable {
        @Override
        public void close() throws PlanningException {
            lock.close();
        }
    }
}
