package dev.beckon.planner.deploy;

import dev.beckon.planner.deploy.Deployments.Outcome;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanningException;
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
        Generations generations = records.generations();
        StoreRoots.protect(plan.desired());
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
            Journaled journaled = Journaled.deploy(targets, records, plan, IntentJournal.Kind.DEPLOY, null, models, user, message, events);
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
            StoreRoots.release(plan.desired());
        }
    }
}
