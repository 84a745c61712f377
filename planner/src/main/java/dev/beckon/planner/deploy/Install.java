package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Change;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the files of instances of one module session at one dependency level, so that one reload makes
 * them all live. Its inverse installs the recorded versions of changed instances again and removes the files
 * of new ones.
 */
record Install(String target, String type, int level, List<Change> changes) implements Step {
    Install {
        changes = List.copyOf(changes);
    }

    @Override
    public String name() {
        return "install on " + target + " (" + type + "): " + String.join(", ", changes.stream().map(Change::service).toList());
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        List<ManifestEntry> reinstall = new ArrayList<>();
        List<ManifestEntry> remove = new ArrayList<>();
        for (Change change : changes) {
            if (change.action() == Action.CHANGE) {
                reinstall.add(change.recorded().orElseThrow());
            } else {
                remove.add(change.desired().orElseThrow());
            }
        }
        Inverse inverse = undo.begun(new Inverse.Uninstall(target, reinstall, remove));
        execution.session(target).install(changes.stream().map(c -> c.desired().orElseThrow()).toList());
        return inverse;
    }
}
