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
import picocli.CommandLine.Parameters;

/** {@code beckon restore SERVICE [SNAPSHOT]}: a service's warm state back as a snapshot held it. */
@Command(name = "restore", description = {"Make a deployed service's warm state hold one of its snapshots again (the newest"
        + " unless SNAPSHOT names one): the service is stopped, its state replaced, and it is activated again;"
        + " its listeners are closed meanwhile."})
final class RestoreCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    WarmStateService instance;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SNAPSHOT", description = "A snapshot, as `beckon snapshots` lists it.")
    String snapshot;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.openForChanges(out, "restore")) {
            WarmStates.Taken restored = deployments.warmStates().restore(instance.service, instance.target(),
                    Optional.ofNullable(snapshot));
            out.println("Restored " + restored.entry().id() + " from snapshot " + restored.snapshot().id() + " (transaction "
                    + restored.snapshot().sequence() + ").");
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
