package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanText;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code beckon diff A B}: what differs between two generations, as a plan from A to B. */
@Command(name = "diff", description = "Show what differs from generation A to generation B, in the plan's format: what deploying B"
        + " over A would activate, change and deactivate. Reads the generations only; no target is asked.")
final class DiffCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "The generation to compare from.")
    int from;

    @Parameters(index = "1", paramLabel = "B", description = "The generation to compare to.")
    int to;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.openWithoutRecovery()) {
            Plan plan = deployments.difference(from, to);
            if (plan.isEmpty()) {
                out.println("Generations " + from + " and " + to + " of profile " + deployments.profile() + " run the same instances.");
            } else {
                out.print(TerminalStyle.OF_STANDARD_OUTPUT.changes(PlanText.render(plan,
                        "From generation " + from + " to generation " + to + " of profile " + deployments.profile() + ":")));
            }
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
