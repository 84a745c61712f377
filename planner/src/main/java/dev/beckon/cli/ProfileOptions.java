package dev.beckon.cli;

import dev.beckon.activation.ActivationModules;
import dev.beckon.planner.Deployments;
import dev.beckon.planner.PlanningException;
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

    Deployments open() throws PlanningException {
        Path where = home != null ? home : Deployments.defaultHome(System.getenv());
        return Deployments.open(where, profile, ActivationModules::forType, System.getenv());
    }
}
