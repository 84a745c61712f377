package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Change;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.TargetSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * What puts one step of a deployment back. A step pushes its inverse on the {@link UndoLog} as it begins,
 * before it changes anything, so a step that fails half-way is undone and one never begun is not.
 */
sealed interface Inverse {
    /** The target it works on. */
    String target();

    void undo(Execution execution) throws ActivationException;

    /** Of a deactivation, or of a change's activation: the recorded version runs again. */
    record Reactivate(Change change, ManifestEntry entry) implements Inverse {
        @Override
        public String target() {
            return entry.target();
        }

        @Override
        public void undo(Execution execution) throws ActivationException {
            execution.report(change, true, () -> execution.session(entry.target()).activate(entry));
        }
    }

    /** Of a new instance's activation (or a replacement's, in its new session): it goes, files and all. */
    record Remove(Change change, ManifestEntry entry) implements Inverse {
        @Override
        public String target() {
            return entry.target();
        }

        @Override
        public void undo(Execution execution) throws ActivationException {
            execution.report(change, true, () -> execution.session(entry.target()).deactivate(entry));
        }
    }

    /**
     * Of an install: the recorded versions of changed instances are installed again, new instances' files are
     * removed. Nothing that runs is restarted by it: what runs was started from the recorded files.
     */
    record Uninstall(String target, List<ManifestEntry> reinstall, List<ManifestEntry> remove) implements Inverse {
        public Uninstall {
            reinstall = List.copyOf(reinstall);
            remove = List.copyOf(remove);
        }

        @Override
        public void undo(Execution execution) throws ActivationException {
            TargetSession session = execution.session(target);
            if (!reinstall.isEmpty()) {
                session.install(reinstall);
            }
            for (ManifestEntry entry : remove) {
                session.deactivate(entry);
            }
        }
    }

    /**
     * Of starting new instances together before their activations: nothing of its own, as the install's inverse
     * deactivates each new instance, its sockets first, whether it was started here, activated after, or neither.
     */
    record StartedTogether(String target) implements Inverse {
        @Override
        public void undo(Execution execution) {}
    }

    /** Of a step that only looks (the health gate between waves): nothing to put back. */
    record Observed(String target) implements Inverse {
        @Override
        public void undo(Execution execution) {}
    }

    /** Of a reload: another one, once what was undone is back on disk. */
    record ReloadAgain(String target) implements Inverse {
        @Override
        public void undo(Execution execution) throws ActivationException {
            execution.session(target).flush();
        }
    }

    /**
     * Of copying packages into a target's store: what was not there goes again, once every target runs what it
     * ran before (until then, the undo may need it). Filled as the copies are made.
     *
     * @param keep what the recorded instances use, which stays whatever was copied
     */
    record RemoveFromStore(String target, Path stateDirectory, Set<Path> keep, List<Path> added) implements Inverse {
        RemoveFromStore(String target, Path stateDirectory, Set<Path> keep) {
            this(target, stateDirectory, Set.copyOf(keep), Collections.synchronizedList(new ArrayList<>()));
        }

        @Override
        public void undo(Execution execution) throws ActivationException {
            List<Path> unused;
            synchronized (added) {
                unused = new ArrayList<>(added);
            }
            unused.removeAll(keep);
            if (unused.isEmpty()) {
                return;
            }
            try {
                execution.session(target).removeFromStore(stateDirectory, unused);
            } catch (PlanningException e) {
                throw new ActivationException(target, e.getMessage(), e);
            }
        }
    }

    /** Of asking running instances whether they may change: they are let go. Filled as they are asked. */
    record Unlock(String target, List<ManifestEntry> locked) implements Inverse {
        Unlock(String target) {
            this(target, Collections.synchronizedList(new ArrayList<>()));
        }

        @Override
        public void undo(Execution execution) {
            List<ManifestEntry> entries;
            synchronized (locked) {
                entries = new ArrayList<>(locked);
            }
            for (ManifestEntry entry : entries) {
                try {
                    execution.session(target).unlock(entry);
                } catch (ActivationException e) {
                    execution.events().targetStep(target, "could not unlock " + entry.service() + ": " + e.getMessage());
                }
            }
        }
    }

    /** Of taking a target's deployment lock: it is released. */
    record ReleaseTargetLock(String target, TargetSession.Handle lock) implements Inverse {
        @Override
        public void undo(Execution execution) throws ActivationException {
            try {
                lock.close();
            } catch (PlanningException e) {
                throw new ActivationException(target, e.getMessage(), e);
            }
        }
    }
}
