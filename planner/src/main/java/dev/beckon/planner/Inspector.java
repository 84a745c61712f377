package dev.beckon.planner;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import java.util.LinkedHashMap;
import java.util.Map;

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
        Map<String, InstanceStatus> statuses = new LinkedHashMap<>();
        try (ModuleSessions sessions = new ModuleSessions(modules)) {
            for (ManifestEntry entry : recorded.entries()) {
                statuses.put(entry.id(), sessions.of(entry).query(entry.toInstance(recorded.profile())));
            }
        } catch (ActivationException e) {
            throw new PlanningException("cannot ask " + e.instance() + " what runs: " + e.getMessage(), e);
        }
        return statuses;
    }
}
