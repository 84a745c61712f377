package dev.beckon.planner.deploy;

import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.plan.Waves;
import dev.beckon.planner.state.IntentJournal;
import java.util.Map;

/** A deployment carried out under its journal, which stays until the targets are as a generation says. */
record Journaled(DeployResult result, IntentJournal journal) {

    /**
     * Deploys {@code plan} to the targets, opening the profile's intent journal before the first step: what it goes from
     * and to, so that an interrupted run can be recovered.
     */
    static Journaled deploy(ProfileTargets targets, ProfileRecords records, Plan plan, IntentJournal.Kind kind, Integer toGeneration,
            Map<String, byte[]> models, String user, String message, DeployEvents events) throws PlanningException {
        return deploy(targets, records, plan, Waves.NONE, kind, toGeneration, models, user, message, events);
    }

    /** The same, in waves. */
    static Journaled deploy(ProfileTargets targets, ProfileRecords records, Plan plan, Waves waves, IntentJournal.Kind kind,
            Integer toGeneration, Map<String, byte[]> models, String user, String message, DeployEvents events)
            throws PlanningException {
        Generations generations = records.generations();
        Integer fromGeneration = records.currentNumber().orElse(null);
        IntentJournal[] opened = new IntentJournal[1];
        DeployResult result = targets.deployer(events).deploy(plan, waves, steps -> {
            IntentJournal.Intent intent = new IntentJournal.Intent(IntentJournal.FORMAT_VERSION, kind, records.profile(), fromGeneration,
                    toGeneration, plan.recorded(), plan.desired(), models, user, message, steps, ProcessHandle.current().pid(),
                    java.time.Instant.now().toString());
            opened[0] = IntentJournal.begin(generations.directory(), intent, targets.environment());
            return opened[0];
        });
        return new Journaled(result, opened[0]);
    }

    DeployResult finishUnlessNotUndone() throws PlanningException {
        if (result.outcome() != DeployResult.Outcome.FAILED_NOT_UNDONE && journal != null) {
            journal.finish();
        }
        return result;
    }

    void finish() throws PlanningException {
        journal.recorded();
        journal.finish();
    }
}
