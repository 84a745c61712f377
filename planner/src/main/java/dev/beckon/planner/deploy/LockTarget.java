package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.Messages;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.TargetSession;
import java.nio.file.Path;

/**
 * Takes a target's deployment lock. A lock is taken whole or not at all, so its inverse is pushed once it is
 * held; a refusal is a {@link PlanningException} inside the {@link ActivationException}: nothing was changed.
 */
record LockTarget(String target, Path stateDirectory) implements Step {
    @Override
    public String name() {
        return "lock " + target;
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        execution.events().targetStep(target, "locking " + Messages.printable(stateDirectory.toString()));
        TargetSession session;
        try {
            session = execution.session(target);
        } catch (ActivationException e) {
            throw new ActivationException(target, "", new PlanningException("target " + target + " cannot be reached: "
                    + e.getMessage() + ". Nothing was changed.", e));
        }
        try {
            return undo.begun(new Inverse.ReleaseTargetLock(target, session.lockTarget(target, stateDirectory, "deploy",
                    warning -> execution.events().targetStep(target, warning))));
        } catch (PlanningException e) {
            throw new ActivationException(target, e.getMessage(), e);
        }
    }
}
