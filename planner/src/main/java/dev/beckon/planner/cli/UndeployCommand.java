package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanText;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon undeploy}: removes everything the profile deployed, as a generation of its own. */
@Command(name = "undeploy", description = "Remove every instance the profile deployed, in reverse dependency order, and record that as"
        + " a generation that runs nothing; `beckon rollback` brings it all back.")
final class UndeployCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--dry-run", description = "Only print what would be removed.")
    boolean dryRun;

    @Mixin
    ParallelOption parallel;

    @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "A note recorded with the new generation (default: undeploy).")
    String message;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long started = System.nanoTime();
        try (Deployments deployments = dryRun ? profile.open(out) : profile.openForChanges(out, "undeploy")) {
            deployments.parallel(parallel.targets());
            Plan plan = deployments.undeployPlan();
            if (plan.isEmpty()) {
                out.println("Nothing to undeploy: profile " + deployments.profile() + " runs no instance.");
                out.flush();
                return ExitCodes.OK;
            }
            out.print(TerminalStyle.OF_STANDARD_OUTPUT.changes(PlanText.render(plan)));
            if (dryRun) {
                out.println("Dry run: nothing was changed.");
                out.flush();
                return ExitCodes.OK;
            }
            out.println();
            out.println("Undeploying profile " + deployments.profile() + ":");
            out.flush();
            Deployments.Outcome outcome = deployments.undeploy(plan, System.getProperty("user.name"),
                    message == null ? "undeploy" : message, new ProgressPrinter(out));
            return DeployCommand.report(out, outcome, Duration.ofNanos(System.nanoTime() - started), "Undeployed: recorded");
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
