package dev.beckon.planner.deploy;

import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.target.TargetSessions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Recovery from a deployment or rollback that was interrupted, from the intent journal it left. */
final class InterruptedDeploymentRecovery {
    private final ProfileRecords records;
    private final ProfileTargets targets;

    InterruptedDeploymentRecovery(ProfileRecords records, ProfileTargets targets) {
        this.records = records;
        this.targets = targets;
    }

    /**
     * Brings the targets of an interrupted deployment back to the generation that was current when it
     * started, or, when every step of it was done, records the generation it was making.
     */
    void recoverInterrupted(DeployEvents events) throws PlanningException {
        Generations generations = records.generations();
        Optional<IntentJournal.Found> found = IntentJournal.find(generations.directory());
        if (found.isEmpty()) {
            return;
        }
        IntentJournal.Intent intent = found.get().intent();
        events.notice("An interrupted " + intent.describe() + " left its journal (" + generations.directory().resolve(
                IntentJournal.INTENT_FILE) + "): started " + intent.started() + " by " + intent.user() + ", pid " + intent.pid() + "; "
                + found.get().stepsDone() + " of " + intent.steps().size() + " steps done.");
        records.forget();
        if (found.get().everyStepDone()) {
            recordFromJournal(intent, events);
        } else {
            String back = intent.fromGeneration() == null ? "the state before the first deployment"
                    : "generation " + intent.fromGeneration();
            events.notice("Bringing the targets back to " + back + ":");
            Plan plan = Planner.recovery(intent.from(), intent.to(), targets.live(intent.from()), targets.live(intent.to()));
            if (plan.isEmpty()) {
                events.notice("They already run " + back + ".");
            } else {
                DeployResult result = targets.deployer(events).deploy(plan, Deployer.WITHOUT_JOURNAL);
                if (result.outcome() != DeployResult.Outcome.DEPLOYED) {
                    throw new PlanningException("could not bring the targets back to " + back + ": "
                            + result.failure().map(Exception::getMessage).orElse("") + ". The journal is kept; fix the cause "
                            + "and run beckon again on profile " + records.profile());
                }
            }
            if (intent.fromGeneration() != null && generations.current().map(Generation::number).orElse(-1) != intent.fromGeneration()) {
                records.makeCurrent(intent.fromGeneration());
            }
            events.notice("Recovered: the targets run " + back + ".");
        }
        try {
            TargetSessions known = targets.sessions().know(intent.from(), intent.to());
            for (Manifest manifest : List.of(intent.from(), intent.to())) {
                for (Manifest.TargetRecord target : manifest.targets().values()) {
                    if (known.of(target.name()).removeStaleLock(Path.of(target.stateDirectory())).isPresent()) {
                        events.notice("Removed the lock the interrupted deployment left on target " + target.name() + ".");
                    }
                }
            }
        } catch (dev.beckon.activation.ActivationException e) {
            throw new PlanningException("recovered, but cannot reach target " + e.instance() + " to remove the lock the interrupted "
                    + "deployment left: " + e.getMessage(), e);
        }
        IntentJournal.remove(generations.directory());
        records.forget();
    }

    private void recordFromJournal(IntentJournal.Intent intent, DeployEvents events) throws PlanningException {
        if (intent.kind() == IntentJournal.Kind.ROLLBACK) {
            try {
                new RecordGeneration.MakeCurrent(intent.to(), intent.toGeneration()).run(records);
            } catch (GenerationsException e) {
                throw new PlanningException("generation " + intent.toGeneration() + " could not be made current: " + e.getMessage(), e);
            }
            events.notice("Every step was done: generation " + intent.toGeneration() + " is current again.");
            return;
        }
        Generations generations = records.generations();
        byte[] wanted = ManifestJson.write(intent.to());
        try {
            Optional<Generation> current = generations.current();
            if (current.isPresent() && Arrays.equals(generations.manifest(current.get().number()), wanted)) {
                events.notice("Every step was done and generation " + current.get().number() + " was recorded.");
                return;
            }
            Generation generation = new RecordGeneration.NewGeneration(intent.to(), intent.models(), intent.user(), intent.message())
                    .run(records);
            events.notice("Every step was done: recorded it as generation " + generation.number() + ".");
        } catch (GenerationsException e) {
            throw new PlanningException("cannot record the interrupted deployment's generation: " + e.getMessage(), e);
        }
    }
}
