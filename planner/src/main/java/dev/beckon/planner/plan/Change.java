package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.ManifestEntry;
import java.util.List;
import java.util.Optional;

/**
 * One instance the plan touches.
 *
 * @param desired what should run, absent for a deactivation
 * @param recorded what the last deployment left, absent for a new instance
 * @param reasons why it changes, for people: "beckon-default-hello.service changed", "dependency db changed",
 *     "drifted: beckon-default-hello.socket is missing"; never used to decide what to do
 */
public record Change(Action action, String target, String service, Optional<ManifestEntry> desired,
        Optional<ManifestEntry> recorded, List<String> reasons) {
    public Change {
        reasons = List.copyOf(reasons);
    }

    public String id() {
        return service + "@" + target;
    }
}
