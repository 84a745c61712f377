package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanText;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.generations.Generation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon rollback}: deploys an earlier generation, as it was recorded. */
@Command(name = "rollback", description = "Deploy the generation before the current one (or --to N) as it was recorded; repeating it walks further back.")
final class RollbackCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--to", paramLabel = "N", description = "The generation to go to.")
    Integer to;

    @Option(names = "--dry-run", description = "Only print what would be done.")
    boolean dryRun;

    @Mixin
    ParallelOption parallel;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long started = System.nanoTime();
        try (Interrupts interrupts = Interrupts.install(spec.commandLine().getErr(), profile.profile);
                Deployments deployments = dryRun ? profile.open(out) : profile.openForChanges(out, "rollback")) {
            deployments.parallel(parallel.targets());
            deployments.cancellation(interrupts.cancellation());
            Generation target = deployments.rollbackTarget(Optional.ofNullable(to));
            Plan plan = deployments.rollbackPlan(target);
            out.println("Rolling profile " + deployments.profile() + " back to generation " + target.number() + ":");
            out.print(TerminalStyle.OF_STANDARD_OUTPUT.changes(PlanText.render(plan)));
            if (dryRun) {
                out.println("Dry run: nothing was changed.");
                out.flush();
                return ExitCodes.OK;
            }
            if (!plan.isEmpty()) {
                out.println();
                out.println("Deploying generation " + target.number() + " of profile " + deployments.profile() + ":");
            }
            out.flush();
            Deployments.Outcome outcome = deployments.rollback(target, new ProgressPrinter(out));
            return DeployCommand.report(out, outcome, Duration.ofNanos(System.nanoTime() - started), "Rolled back to");
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
