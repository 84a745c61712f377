package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.generations.Generation;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code beckon generations}: the deployments of a profile, the current one marked. */
@Command(name = "generations", description = "List the recorded deployments of a profile; * marks the current one.")
final class GenerationsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.open(spec.commandLine().getErr())) {
            List<Generation> generations = deployments.generations();
            if (generations.isEmpty()) {
                out.println("Profile " + deployments.profile() + " has no deployments yet.");
            }
            for (Generation generation : generations) {
                out.printf("%s %3d  %s  %-10s %s%n", generation.current() ? "*" : " ", generation.number(),
                        TIME.format(generation.time()), generation.user(), generation.message());
            }
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
