package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Change;
import java.util.List;

/**
 * Starts the new instances of one dependency level on one target together (their sockets, as concurrent jobs of
 * systemd), before {@link Activate} activates and verifies each in turn. Only an optimisation: what does not start
 * here, each activation starts or reports; the install's inverse removes every new instance, started here or not.
 */
record StartTogether(String target, int level, List<Change> changes) implements Step {
    StartTogether {
        changes = List.copyOf(changes);
    }

    @Override
    public String name() {
        return "start " + changes.size() + " new services on " + target + " together (level " + level + ")";
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        Inverse inverse = undo.begun(new Inverse.StartedTogether(target));
        List<ManifestEntry> entries = changes.stream().map(change -> change.desired().orElseThrow()).toList();
        execution.session(target).startTogether(entries);
        return inverse;
    }
}
