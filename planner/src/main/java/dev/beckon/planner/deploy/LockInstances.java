package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import java.util.List;

/**
 * Asks every instance of a target that runs and is about to change, or depends on one that is, whether it may
 * (Dysnomia's lock): a service may refuse, for example while it has connections it must not drop, or have beckon
 * wait until it has drained them. Its inverse lets them go.
 */
record LockInstances(String target, List<ManifestEntry> running) implements Step {
    LockInstances {
        running = List.copyOf(running);
    }

    @Override
    public String name() {
        return "lock the instances that change, and their dependants, on " + target;
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        Inverse.Unlock inverse = undo.begun(new Inverse.Unlock(target));
        for (ManifestEntry entry : running) {
            execution.session(target).lock(entry);
            inverse.locked().add(entry);
        }
        return inverse;
    }
}
