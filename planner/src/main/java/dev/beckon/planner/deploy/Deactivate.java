package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Change;
import java.util.List;

/**
 * Stops a recorded instance and removes its files: one the model no longer has, or the old one of a
 * replacement, in its old session. Its inverse activates the recorded instance again.
 */
record Deactivate(Change change) implements Step {
    /** The recorded instance it deactivates. */
    ManifestEntry entry() {
        return change.recorded().orElseThrow();
    }

    @Override
    public String target() {
        return change.target();
    }

    @Override
    public String name() {
        return change.action() == Action.REPLACE ? "deactivate " + change.id() + " in its old session" : "deactivate " + change.id();
    }

    /** As progress shows it: the old half of a replacement is a deactivation. */
    private Change shown() {
        return change.action() == Action.REPLACE ? new Change(Action.DEACTIVATE, change.target(), change.service(),
                java.util.Optional.empty(), change.recorded(), List.of("replaced")) : change;
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        Inverse inverse = undo.begun(new Inverse.Reactivate(shown(), entry()));
        execution.report(shown(), false, () -> execution.session(target()).deactivate(entry()));
        return inverse;
    }
}
