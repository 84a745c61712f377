package dev.beckon.planner.cli;

import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.planner.deploy.DeployResult;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ResolvedInputs;
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

/** {@code beckon deploy}: makes the targets run the model, or leaves them as they were. */
@Command(name = "deploy", description = "Make the targets run the model: plan, activate in dependency order, undo everything on failure, record a generation.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:deployed (or nothing to do)", "1:failed and undone: every target runs what it ran before",
                "2:the command line is wrong", "3:failed and not fully undone: the journal is kept",
                "4:an SSH target was not confirmed through a new connection and put itself back; the others were undone"})
final class DeployCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--dry-run", description = "Only print what would be done.")
    boolean dryRun;

    @Mixin
    ParallelOption parallel;

    @Mixin
    WaveOptions waveOptions;

    @Option(names = "--confirm-timeout", paramLabel = "DURATION", description = "How long each SSH target waits, after its"
            + " activation, for this beckon to confirm through a new SSH connection before it puts itself back on its own"
            + " (default: the model's [rollout] confirm-timeout, else 30s); exit 4 when one did.")
    String confirmTimeout;

    @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "A note recorded with the new generation.")
    String message;

    @Option(names = "--move-state", description = "A service with warm state that moves to another target takes its state"
            + " along: stopped on the old target first, its snapshot becomes its state on the new one (Disnix's --deploy-state).")
    boolean moveState;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long started = System.nanoTime();
        long startedMillis = System.currentTimeMillis();
        try (Interrupts interrupts = Interrupts.install(spec.commandLine().getErr(), profile.profile);
                Deployments deployments = dryRun ? profile.open(out) : profile.openForChanges(out, "deploy")) {
            deployments.parallel(parallel.targets());
            deployments.cancellation(interrupts.cancellation());
            if (unchangedAndAsRecorded(deployments, out)) {
                return ExitCodes.OK;
            }
            ResolvedInputs.Before before = deployments.beforeLoading(model.files(), startedMillis);
            SystemModel loaded;
            try {
                loaded = ModelLoader.load(model.files(), deployments.portHints());
            } catch (InvalidModelException e) {
                ValidateCommand.printDiagnostics(e, spec.commandLine().getErr());
                return ExitCodes.FAILED;
            }
            try {
                deployments.confirmTimeout(confirmTimeout == null ? loaded.rollout().confirmTimeout()
                        : dev.beckon.models.Durations.parse(confirmTimeout));
            } catch (IllegalArgumentException e) {
                throw new PlanningException("--confirm-timeout: " + e.getMessage());
            }
            Manifest desired = deployments.desired(loaded);
            Plan plan = deployments.plan(desired);
            dev.beckon.planner.plan.Waves waves = waveOptions.resolve(loaded, plan);
            out.print(TerminalStyle.OF_STANDARD_OUTPUT.changes(PlanText.render(plan)));
            if (!plan.isEmpty()) {
                out.print(WaveOptions.render(waves));
            }
            if ((plan.isEmpty() && !deployments.currentIsDamaged()) || dryRun) {
                if (dryRun && !plan.isEmpty()) {
                    out.println("Dry run: nothing was changed.");
                } else if (!dryRun) {
                    deployments.rememberResolved(model.files(), before, desired);
                }
                out.flush();
                return ExitCodes.OK;
            }
            out.println();
            out.println("Deploying profile " + deployments.profile() + ":");
            out.flush();
            if (moveState) {
                for (String moved : deployments.warmStates().moveBeforeDeploy(desired, line -> out.println("  " + line))) {
                    out.println("  " + moved);
                }
                out.flush();
            }
            Deployments.Outcome outcome = deployments.deploy(plan, waves, model.files(), System.getProperty("user.name"),
                    message == null ? "" : message, new ProgressPrinter(out));
            if (outcome.result().outcome() == DeployResult.Outcome.DEPLOYED) {
                deployments.rememberResolved(model.files(), before, desired);
            }
            return report(out, outcome, Duration.ofNanos(System.nanoTime() - started), "Deployed");
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }

    /**
     * The no-op deployment, most deployments, without loading and resolving the model ({@link Deployments#planIfUnchanged}):
     * prints "No changes" and returns true when the model is as recorded and the targets run it.
     */
    private boolean unchangedAndAsRecorded(Deployments deployments, PrintWriter out) throws PlanningException {
        java.util.Optional<Plan> unchanged = deployments.planIfUnchanged(model.files());
        if (unchanged.isEmpty()) {
            return false;
        }
        out.print(TerminalStyle.OF_STANDARD_OUTPUT.changes(PlanText.render(unchanged.get())));
        out.flush();
        return true;
    }

    /** The closing lines of a deployment or rollback, and its exit code. */
    static int report(PrintWriter out, Deployments.Outcome outcome, Duration took, String verb) {
        DeployResult result = outcome.result();
        switch (result.outcome()) {
            case DEPLOYED -> out.println(verb + outcome.generation().map(g -> " generation " + g.number()).orElse("")
                    + " in " + ProgressPrinter.seconds(took) + ".");
            case FAILED_AND_UNDONE -> out.println((result.wavesKept() > 0
                    ? "Deployment failed and its last wave was undone; the " + result.wavesKept() + " wave(s) done before it were kept"
                    + outcome.generation().map(g -> " and recorded as generation " + g.number()).orElse("") + "."
                    : "Deployment failed and was undone: every target runs what it ran before.")
                    + "\n  failed: " + result.failure().orElseThrow().getMessage());
            case UNCONFIRMED_ROLLED_BACK -> out.println("Deployment not confirmed: an SSH target could not be reached through a new"
                    + " connection after its activation and put itself back on its own; the other targets were undone.\n"
                    + "  " + result.failure().orElseThrow().getMessage());
            case FAILED_NOT_UNDONE -> {
                out.println("Deployment failed and could NOT be fully undone: the targets are in between. Its journal is kept;"
                        + " the next beckon command on this profile tries again to bring them back.");
                out.println("  failed: " + result.failure().orElseThrow().getMessage());
                result.notUndone().forEach(line -> out.println("  not put back: " + line));
            }
        }
        out.flush();
        return result.outcome().exitCode();
    }
}
