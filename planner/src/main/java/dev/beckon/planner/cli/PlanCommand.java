package dev.beckon.planner.cli;

import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanJson;
import dev.beckon.planner.plan.PlanText;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon plan}: what a deployment of the model would change, against what the targets run. */
@Command(name = "plan", description = "Show what deploying the model would change, against the last deployment and what the targets run now.")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--json", description = "Print the plan as JSON (schema in the README).")
    boolean json;

    @Mixin
    WaveOptions waveOptions;

    @Option(names = "--detailed-exitcode", description = "Exit 0 when there are no changes, 2 when there are, 1 on error.")
    boolean detailedExitCode;

    @Option(names = "--security", description = "Also show systemd-analyze security's exposure score of each service unit it would write.")
    boolean security;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.open(spec.commandLine().getErr())) {
            // --security shows what the model's units would expose, which wants them resolved.
            java.util.Optional<Plan> unchanged = security ? java.util.Optional.empty() : deployments.planIfUnchanged(model.files());
            if (unchanged.isPresent()) {
                out.print(render(unchanged.get()));
                out.flush();
                return ExitCodes.OK;
            }
            SystemModel loaded;
            try {
                loaded = ModelLoader.load(model.files(), deployments.portHints());
            } catch (InvalidModelException e) {
                ValidateCommand.printDiagnostics(e, spec.commandLine().getErr());
                return ExitCodes.FAILED;
            }
            if (security && json) {
                throw new PlanningException("--security adds text to the plan; leave out --json");
            }
            dev.beckon.planner.manifest.Manifest desired = deployments.desired(loaded);
            Plan plan = deployments.plan(desired);
            out.print(render(plan));
            if (!json && !plan.isEmpty()) {
                out.print(WaveOptions.render(waveOptions.resolve(loaded, plan)));
            }
            out.print(security ? ExposureText.render(desired) : "");
            out.flush();
            return detailedExitCode && !plan.isEmpty() ? ExitCodes.CHANGES : ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }

    private String render(Plan plan) {
        return json ? PlanJson.render(plan) : TerminalStyle.OF_STANDARD_OUTPUT.changes(PlanText.render(plan));
    }
}
