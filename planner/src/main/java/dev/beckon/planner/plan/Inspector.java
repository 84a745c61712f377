package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.target.LocalTargetSession;
import dev.beckon.planner.target.TargetSessions;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Asks the targets' modules what runs now, for the instances a plan would otherwise trust to be as recorded. */
public final class Inspector {
    private final TargetSessions sessions;

    public Inspector(TargetSessions sessions) {
        this.sessions = sessions;
    }

    /**
     * The live status of every recorded instance.
     *
     * @throws PlanningException when a target cannot be asked; the plan must not guess
     */
    public Map<String, InstanceStatus> live(Manifest recorded) throws PlanningException {
        return live(recorded, Manifest.empty(recorded.profile()));
    }

    /**
     * The live status of every recorded instance, having also made sure that every target and module the
     * desired manifest needs answers, so that an unreachable target fails the plan before anything changes.
     *
     * @throws PlanningException when a target cannot be asked; the plan must not guess
     */
    public Map<String, InstanceStatus> live(Manifest recorded, Manifest desired) throws PlanningException {
        sessions.know(recorded, desired);
        // Per target, every recorded instance in one batch; then, also per target, one desired instance of each module
        // and container not asked yet, only to make sure it answers (its id may be a recorded one's, so apart).
        Map<String, List<ManifestEntry>> byTarget = new LinkedHashMap<>();
        Map<String, List<ManifestEntry>> checks = new LinkedHashMap<>();
        Set<String> asked = new HashSet<>();
        for (ManifestEntry entry : recorded.entries()) {
            byTarget.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry);
            asked.add(LocalTargetSession.key(entry));
        }
        for (ManifestEntry entry : desired.entries()) {
            if (asked.add(LocalTargetSession.key(entry))) {
                checks.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry);
            }
        }
        Map<String, InstanceStatus> found = new HashMap<>();
        for (List<ManifestEntry> entries : byTarget.values()) {
            found.putAll(ask(entries));
        }
        for (List<ManifestEntry> entries : checks.values()) {
            ask(entries);
        }
        Map<String, InstanceStatus> statuses = new LinkedHashMap<>();
        for (ManifestEntry entry : recorded.entries()) {
            statuses.put(entry.id(), found.get(entry.id()));
        }
        return statuses;
    }

    private Map<String, InstanceStatus> ask(List<ManifestEntry> entries) throws PlanningException {
        try {
            return sessions.of(entries.get(0)).queryAll(entries);
        } catch (ActivationException e) {
            ManifestEntry entry = entries.stream().filter(one -> one.id().equals(e.instance())).findFirst().orElse(entries.get(0));
            throw new PlanningException("target " + entry.target() + " cannot be asked what runs (" + entry.type() + ", for "
                    + entry.id() + "): " + e.getMessage() + ". Nothing was changed.", e);
        }
    }
}
