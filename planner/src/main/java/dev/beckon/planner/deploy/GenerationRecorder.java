package dev.beckon.planner.deploy;

import dev.beckon.planner.deploy.Deployments.Outcome;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.plan.Waves;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.store.StoreRoots;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Deploys a plan made from a model (or an undeployment) and records what the targets then run as a new generation;
 * also the one case that deploys nothing and still records: the current generation's record is damaged.
 */
final class GenerationRecorder {
    private final ProfileRecords records;
    private final ProfileTargets targets;

    GenerationRecorder(ProfileRecords records, ProfileTargets targets) {
        this.records = records;
        this.targets = targets;
    }

    static Outcome nothingDone() {
        return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()), Optional.empty());
    }

    Outcome deployAndRecord(Plan plan, Map<String, byte[]> models, String user, String message, DeployEvents events)
            throws PlanningException {
        return deployAndRecord(plan, Waves.NONE, models, user, message, events);
    }

    /**
     * Deploys in waves. When a failure left the waves done before it in place (their waves keep what is done), what the
     * targets then run is recorded as a new generation: the new model's instances on those waves' targets, the
     * current generation's elsewhere, so that the profile says what runs and a rollback goes back from it.
     */
    Outcome deployAndRecord(Plan plan, Waves waves, Map<String, byte[]> models, String user, String message, DeployEvents events)
            throws PlanningException {
        Generations generations = records.generations();
        StoreRoots.protect(plan.desired(), targets.sessions().stores());
        generations.openInBackground();
        try {
            if (plan.isEmpty()) {
                // The targets run what the model says, but the current generation's record is damaged: a new one
                // replaces it as current, so that the profile works again.
                Generation generation;
                try {
                    generation = new RecordGeneration.NewGeneration(plan.desired(), models, user, message).run(records);
                } catch (GenerationsException e) {
                    throw new PlanningException("the new generation could not be recorded: " + e.getMessage(), e);
                }
                records.currentRepaired();
                return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()), Optional.of(generation));
            }
            Journaled journaled = Journaled.deploy(targets, records, plan, waves, IntentJournal.Kind.DEPLOY, null, models, user, message,
                    events);
            int kept = journaled.result().wavesKept();
            if (journaled.result().outcome() == DeployResult.Outcome.FAILED_AND_UNDONE && kept > 0) {
                String note = "waves 1" + (kept > 1 ? "-" + kept : "") + " of " + waves.targets().size() + " kept after a failure"
                        + (message.isEmpty() ? "" : ": " + message);
                try {
                    Generation generation = new RecordGeneration.NewGeneration(waves.doneBefore(kept, plan), models, user, note).run(records);
                    journaled.finish();
                    return new Outcome(journaled.result(), Optional.of(generation));
                } catch (GenerationsException e) {
                    throw new PlanningException("the waves done were kept, but their generation could not be recorded: " + e.getMessage()
                            + "; `beckon status` shows what runs, and `beckon deploy` or `beckon rollback` records it again", e);
                }
            }
            if (journaled.result().outcome() != DeployResult.Outcome.DEPLOYED) {
                return new Outcome(journaled.finishUnlessNotUndone(), Optional.empty());
            }
            if (!records.currentIsDamaged() && Arrays.equals(ManifestJson.write(plan.recorded()), ManifestJson.write(plan.desired()))) {
                // Only drift was repaired: the targets run the current generation again.
                journaled.finish();
                return new Outcome(journaled.result(), generations.current());
            }
            try {
                Generation generation = new RecordGeneration.NewGeneration(plan.desired(), models, user, message).run(records);
                journaled.finish();
                return new Outcome(journaled.result(), Optional.of(generation));
            } catch (GenerationsException e) {
                throw new PlanningException("deployed, but the new generation could not be recorded: " + e.getMessage()
                        + "; the next beckon command on profile " + records.profile() + " will record it from the journal", e);
            }
        } finally {
            StoreRoots.release(plan.desired(), targets.sessions().stores(), events::notice);
        }
    }
}
