package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;

/**
 * Makes a target's service managers read what was installed (and removed) since the last reload, and
 * finishes the modules' deferred work. Its inverse is another reload, once what was undone is on disk.
 *
 * @param what why it reloads, for the journal: "level 0", "the end"
 */
record Reload(String target, String what) implements Step {
    @Override
    public String name() {
        return "reload the service managers of " + target + " for " + what;
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        Inverse inverse = undo.begun(new Inverse.ReloadAgain(target));
        execution.session(target).flush();
        return inverse;
    }
}
