package dev.beckon.planner.cli;

import dev.beckon.activation.InstanceStatus;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.plan.StatusReport;
import dev.beckon.planner.generations.Generation;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon status}: what runs, against what the current generation says should. */
@Command(name = "status", description = "Show, per target and instance, what runs against what the current generation says; exit 0 when all is as deployed, 1 when not.")
final class StatusCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--json", description = "Print the status as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.open(spec.commandLine().getErr())) {
            Optional<Generation> current = deployments.generations().stream().filter(Generation::current).findFirst();
            if (current.isEmpty()) {
                out.println("Profile " + deployments.profile() + " has no deployments yet.");
                out.flush();
                return ExitCodes.OK;
            }
            Manifest recorded = deployments.recorded();
            Map<String, InstanceStatus> live = deployments.live(recorded);
            Generation generation = current.get();
            out.print(json ? StatusReport.json(recorded, live, generation.number())
                    : StatusReport.text(recorded, live, "generation " + generation.number() + " (deployed "
                            + TIME.format(generation.time()) + " by " + generation.user() + ")"));
            out.flush();
            return live.values().stream().allMatch(StatusReport::asDeployed) ? ExitCodes.OK : ExitCodes.FAILED;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
