package dev.beckon.planner.cli;

import dev.beckon.activation.ActivationModules;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which profile a command works on, and where profiles are kept. */
final class ProfileOptions {
    @Option(names = {"-p", "--profile"}, paramLabel = "NAME", defaultValue = "default",
            description = "The deployment profile (default: ${DEFAULT-VALUE}); each keeps its own generations and units.")
    String profile;

    @Option(names = "--home", paramLabel = "DIR",
            description = "Where beckon keeps its profiles (default: $BECKON_HOME, else $XDG_STATE_HOME/beckon).")
    Path home;

    /** Opens the profile for a command that only reads, after recovering from an interrupted deployment. */
    Deployments open(PrintWriter out) throws PlanningException {
        Deployments deployments = openWithoutRecovery();
        try {
            deployments.recoverUnlessBusy(new ProgressPrinter(out));
            return deployments;
        } catch (PlanningException | RuntimeException e) {
            closeAfterFailure(deployments, e);
            throw e;
        }
    }

    /**
     * Opens the profile for a command that changes targets or generations: takes the profile's lock, held
     * until the returned value is closed, and recovers from an interrupted deployment.
     */
    Deployments openForChanges(PrintWriter out, String command) throws PlanningException {
        Deployments deployments = openWithoutRecovery();
        try {
            deployments.lockForChanges(command, new ProgressPrinter(out));
            return deployments;
        } catch (PlanningException | RuntimeException e) {
            closeAfterFailure(deployments, e);
            throw e;
        }
    }

    Deployments openWithoutRecovery() throws PlanningException {
        Path where = home != null ? home : Deployments.defaultHome(System.getenv());
        return Deployments.open(where, profile, ActivationModules::forType, System.getenv());
    }

    private static void closeAfterFailure(Deployments deployments, Exception failure) {
        try {
            deployments.close();
        } catch (PlanningException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
