package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.deploy.WarmStates;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code beckon snapshots SERVICE}: the snapshots of a service's warm state its target keeps, newest first. */
@Command(name = "snapshots", description = "List the snapshots of a deployed service's warm state on its target, newest first.")
final class SnapshotsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    WarmStateService instance;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.open(out)) {
            List<WarmStates.Taken> all = deployments.warmStates().list(instance.service, instance.target());
            if (all.isEmpty()) {
                out.println("No snapshots of " + deployments.warmStates().find(instance.service, instance.target()).id() + ".");
            }
            for (WarmStates.Taken taken : all) {
                out.println(taken.snapshot().id() + "  " + taken.entry().id() + "  " + taken.snapshot().bytes() + " bytes  transaction "
                        + taken.snapshot().sequence());
            }
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
