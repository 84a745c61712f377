package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --parallel N}, for the commands that deploy. */
final class ParallelOption {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    private int targets = Deployments.DEFAULT_PARALLEL;

    @Option(names = "--parallel", paramLabel = "N",
            description = "How many targets to work on at once (default: " + Deployments.DEFAULT_PARALLEL
                    + "); the dependency order holds across targets.")
    void targets(int targets) {
        if (targets < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be at least 1, not " + targets);
        }
        this.targets = targets;
    }

    int targets() {
        return targets;
    }
}
