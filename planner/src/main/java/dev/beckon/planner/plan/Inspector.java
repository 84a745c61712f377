package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.target.LocalTargetSession;
import dev.beckon.planner.target.TargetSessions;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import java.util.HashSet;
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
        Map<String, InstanceStatus> statuses = new LinkedHashMap<>();
        Set<String> asked = new HashSet<>();
        sessions.know(recorded, desired);
        {
            for (ManifestEntry entry : recorded.entries()) {
                statuses.put(entry.id(), ask(sessions, entry));
                asked.add(LocalTargetSession.key(entry));
            }
            for (ManifestEntry entry : desired.entries()) {
                if (asked.add(LocalTargetSession.key(entry))) {
                    ask(sessions, entry);
                }
            }
        }
        return statuses;
    }

    private static InstanceStatus ask(TargetSessions sessions, ManifestEntry entry) throws PlanningException {
        try {
            return sessions.of(entry).query(entry);
        } catch (ActivationException e) {
            throw new PlanningException("target " + entry.target() + " cannot be asked what runs (" + entry.type() + ", for "
                    + entry.id() + "): " + e.getMessage() + ". Nothing was changed.", e);
        }
    }
}
