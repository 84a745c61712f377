package dev.beckon.planner;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Asks the targets' modules what runs now, for the instances a plan would otherwise trust to be as recorded. */
public final class Inspector {
    private final ModuleFinder modules;

    public Inspector(ModuleFinder modules) {
        this.modules = modules;
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
        Map<String, InstanceStatus> statuses = new LinkedHashMap<>();
        Set<String> asked = new HashSet<>();
        try (ModuleSessions sessions = new ModuleSessions(modules)) {
            for (ManifestEntry entry : recorded.entries()) {
                statuses.put(entry.id(), ask(sessions, entry, recorded.profile()));
                asked.add(ModuleSessions.key(entry));
            }
            for (ManifestEntry entry : desired.entries()) {
                if (asked.add(ModuleSessions.key(entry))) {
                    ask(sessions, entry, desired.profile());
                }
            }
        }
        return statuses;
    }

    private static InstanceStatus ask(ModuleSessions sessions, ManifestEntry entry, String profile) throws PlanningException {
        try {
            return sessions.of(entry).query(entry.toInstance(profile));
        } catch (ActivationException e) {
            throw new PlanningException("target " + entry.target() + " cannot be asked what runs (" + entry.type() + ", for "
                    + entry.id() + "): " + e.getMessage() + ". Nothing was changed.", e);
        }
    }
}
