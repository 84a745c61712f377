package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Change;

/**
 * Makes a new, changed or replacing instance run (or listen) and verifies it. Its inverse: a changed
 * instance's recorded version is activated again; a new one, or a replacement in its new session, is removed.
 */
record Activate(Change change, int level) implements Step {
    ManifestEntry entry() {
        return change.desired().orElseThrow();
    }

    @Override
    public String target() {
        return change.target();
    }

    @Override
    public String name() {
        return change.action().summary().substring(3) + " " + change.id();
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        Inverse inverse = undo.begun(change.action() == Action.CHANGE ? new Inverse.Reactivate(change, change.recorded().orElseThrow())
                : new Inverse.Remove(change, entry()));
        execution.report(change, false, () -> execution.session(target()).activate(entry()));
        return inverse;
    }
}
