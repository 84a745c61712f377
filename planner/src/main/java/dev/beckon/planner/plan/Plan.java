package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.Manifest;
import java.util.List;

/**
 * What a deployment would do: the changes, deactivations first (dependants before what they
 * depend on), then activations and changes (dependencies first). An immutable value: making it
 * touches nothing, and the deployer carries it out as it is.
 */
public record Plan(Manifest desired, Manifest recorded, List<Change> changes) {
    public Plan {
        changes = List.copyOf(changes);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public long count(Action action) {
        return changes.stream().filter(c -> c.action() == action).count();
    }

    /** The changes on one target, in execution order. */
    public List<Change> on(String target) {
        return changes.stream().filter(c -> c.target().equals(target)).toList();
    }
}
