package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.Messages;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Copies the packages of a target's new and changed instances into its store and makes their instance
 * directories, with their secrets' files. Its inverse removes what was not there, as it is added, so a copy that fails half-way leaves
 * nothing behind either.
 *
 * @param keep what the recorded instances use: never removed by the inverse
 */
record Distribute(String target, Path stateDirectory, List<ManifestEntry> entries, Set<Path> keep) implements Step {
    Distribute {
        entries = List.copyOf(entries);
        keep = Set.copyOf(keep);
    }

    @Override
    public String name() {
        return "copy packages into the store of " + target;
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        Inverse.RemoveFromStore inverse = undo.begun(new Inverse.RemoveFromStore(target, stateDirectory, keep));
        for (ManifestEntry entry : entries) {
            try {
                List<Path> copied = execution.session(target).putPackage(entry);
                inverse.added().addAll(copied);
                if (!entry.packagePath().isEmpty() && copied.contains(Path.of(entry.packagePath()))) {
                    String source = Path.of(entry.packageSource()).getFileName().toString();
                    String stored = Path.of(entry.packagePath()).getFileName().toString();
                    execution.events().targetStep(target, "copied " + Messages.printable(source) + " into the store as "
                            + Messages.printable(stored));
                }
                // Before anything is installed: a unit that loads a credential cannot start without its file.
                execution.session(target).putSecrets(entry, execution.secrets().of(entry));
            } catch (PlanningException e) {
                throw new ActivationException(target, e.getMessage(), e);
            }
            execution.session(target).makeClassDataArchive(entry).ifPresent(line -> execution.events().targetStep(target, line));
        }
        return inverse;
    }
}
