package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;

/**
 * One step of a deployment on one target, as a value: lock, distribute, lock the instances, deactivate,
 * install, reload, activate. Its one method does it and returns its inverse, which it pushed on the undo log
 * as it began, before it changed anything.
 */
interface Step {
    /** The target it works on; the steps of one target run one at a time, in order. */
    String target();

    /** What the deployment's journal calls it. */
    String name();

    Inverse run(Execution execution, UndoLog undo) throws ActivationException;
}
