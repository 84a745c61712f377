package dev.beckon.planner.cli;

import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.deploy.Reconstruction;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code beckon reconstruct}: a lost profile rebuilt from what its targets record, as Disnix's disnix-reconstruct. */
@Command(name = "reconstruct", description = {"Rebuild a lost profile from what the model's targets record that they run: the"
        + " newest generation any of them records becomes the profile's current one, with its number and its manifest byte for"
        + " byte. Nothing on the targets changes; the profile must have no generations."})
final class ReconstructCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.openForChanges(out, "reconstruct")) {
            SystemModel loaded;
            try {
                loaded = ModelLoader.load(model.files());
            } catch (InvalidModelException e) {
                ValidateCommand.printDiagnostics(e, spec.commandLine().getErr());
                return ExitCodes.FAILED;
            }
            Reconstruction.Result result = deployments.reconstruct(loaded, System.getProperty("user.name"));
            result.notes().forEach(note -> out.println("  " + note));
            out.println("Reconstructed profile " + deployments.profile() + ": generation " + result.generation().number()
                    + " is current, as recorded on " + (result.recordedOn().size() == 1 ? "target " : "targets ")
                    + String.join(", ", result.recordedOn()) + ".");
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }
}
