package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.deploy.WarmStates;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code beckon snapshot SERVICE}: a consistent copy of a running service's warm state, kept on its target. */
@Command(name = "snapshot", description = {"Take a snapshot of a deployed service's warm state ([services.X.state]) while it runs,"
        + " kept on its target; only committed units are copied, and the service never waits.",
        "`beckon gc` keeps the " + dev.beckon.planner.store.Snapshots.KEEP + " newest snapshots of each service (--keep-snapshots N)."})
final class SnapshotCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    WarmStateService instance;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.openForChanges(out, "snapshot")) {
            long started = System.nanoTime();
            WarmStates.Taken taken = deployments.warmStates().snapshot(instance.service, instance.target());
            out.println("Took snapshot " + taken.snapshot().id() + " of " + taken.entry().id() + ": "
                    + taken.snapshot().bytes() + " bytes, up to transaction " + taken.snapshot().sequence() + ", in "
                    + ProgressPrinter.seconds(java.time.Duration.ofNanos(System.nanoTime() - started)) + ".");
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
