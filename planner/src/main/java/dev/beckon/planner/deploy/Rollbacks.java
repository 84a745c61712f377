package dev.beckon.planner.deploy;

import dev.beckon.planner.deploy.Deployments.Outcome;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.store.StoreRoots;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Going back to an earlier generation as it was recorded, and what differs between two generations. */
final class Rollbacks {
    private final ProfileRecords records;
    private final ProfileTargets targets;

    Rollbacks(ProfileRecords records, ProfileTargets targets) {
        this.records = records;
        this.targets = targets;
    }

    /** The generation a rollback goes to: {@code to}, or the one before the current one. */
    Generation rollbackTarget(Optional<Integer> to) throws PlanningException {
        Generations generations = records.generations();
        if (to.isPresent()) {
            return generations.list().stream().filter(g -> g.number() == to.get()).findFirst().orElseThrow(() ->
                    new PlanningException("there is no generation " + to.get() + "; kept: " + records.numbers()));
        }
        return generations.previous().orElseThrow(() -> new PlanningException(generations.current().isEmpty()
                ? "profile " + records.profile() + " has no deployment yet; nothing to roll back to"
                : "generation " + generations.current().get().number() + " is the oldest kept; nothing to roll back to"));
    }

    /** Carries out {@code plan}, the rollback plan to generation {@code to}, and makes {@code to} current. */
    Outcome rollback(Plan plan, Generation to, DeployEvents events) throws PlanningException {
        StoreRoots.protect(plan.desired(), targets.sessions().stores());
        try {
            if (!plan.isEmpty()) {
                Journaled journaled = Journaled.deploy(targets, records, plan, IntentJournal.Kind.ROLLBACK, to.number(), Map.of(),
                        System.getProperty("user.name"), "", events);
                if (journaled.result().outcome() != DeployResult.Outcome.DEPLOYED) {
                    return new Outcome(journaled.finishUnlessNotUndone(), Optional.empty());
                }
                makeCurrent(plan, to);
                journaled.finish();
            } else {
                makeCurrent(plan, to);
            }
        } finally {
            StoreRoots.release(plan.desired(), targets.sessions().stores(), events::notice);
        }
        return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()),
                records.generations().current().filter(g -> g.number() == to.number()));
    }

    private void makeCurrent(Plan plan, Generation to) throws PlanningException {
        try {
            new RecordGeneration.MakeCurrent(plan.desired(), to.number()).run(records);
        } catch (GenerationsException e) {
            throw new PlanningException("generation " + to.number() + " could not be made current: " + e.getMessage(), e);
        }
    }

    /**
     * What differs from generation {@code from} to generation {@code to}, as the plan that would take the targets
     * from one to the other if they ran {@code from} as recorded.
     */
    Plan difference(int from, int to) throws PlanningException {
        Generations generations = records.generations();
        for (int number : List.of(from, to)) {
            if (generations.list().stream().noneMatch(g -> g.number() == number)) {
                throw new PlanningException("profile " + records.profile() + " keeps no generation " + number + "; kept: "
                        + (generations.list().isEmpty() ? "none" : records.numbers()) + " (see beckon generations)");
            }
        }
        return Planner.plan(records.manifest(to), records.manifest(from), Map.of());
    }
}
