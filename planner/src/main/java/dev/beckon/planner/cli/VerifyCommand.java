package dev.beckon.planner.cli;

import dev.beckon.models.Messages;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.store.StoreVerifier;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon verify}: checks the content of every store entry a kept generation uses. */
@Command(name = "verify", description = "Read every package in the stores of this machine that a kept generation uses and check it"
        + " against its content hash; exit 0 when all are whole, 1 when one is damaged. --repair copies damaged ones again"
        + " from their sources.")
final class VerifyCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--repair", description = "Copy every damaged entry again from its source, when the source still has that content.")
    boolean repair;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = repair ? profile.openForChanges(out, "verify") : profile.open(spec.commandLine().getErr())) {
            List<StoreVerifier.Checked> checked = deployments.storeVerifier().verify(repair);
            long damaged = 0;
            for (StoreVerifier.Checked entry : checked) {
                if (entry.damage().isEmpty()) {
                    continue;
                }
                damaged += entry.isWhole() ? 0 : 1;
                out.println(Messages.printable(entry.entry().toString()) + " (generation"
                        + (entry.generations().size() == 1 ? " " : "s ")
                        + entry.generations().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ") "
                        + Messages.printable(entry.damage().get()) + entry.repair().map(r -> "; " + r).orElse(""));
            }
            out.println(Counts.plural(checked.size(), "store entry", "store entries") + " checked, "
                    + (damaged == 0 ? "all whole" : damaged + " damaged" + (repair ? "" : ": `beckon verify --repair` or `beckon deploy`"
                            + " copies them again from their sources")) + ".");
            out.flush();
            return damaged == 0 ? ExitCodes.OK : ExitCodes.FAILED;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
