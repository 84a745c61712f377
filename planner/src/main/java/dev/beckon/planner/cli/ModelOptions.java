package dev.beckon.planner.cli;

import dev.beckon.models.ModelFiles;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Where a command finds the model: a directory with the three files, or each file by itself. */
final class ModelOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", defaultValue = ".",
            description = "Directory holding services.toml, infrastructure.toml and distribution.toml (default: the current one).")
    Path directory;

    @Option(names = "--services", paramLabel = "FILE", description = "The services model (default: DIR/services.toml).")
    Path services;

    @Option(names = "--infrastructure", paramLabel = "FILE", description = "The infrastructure model (default: DIR/infrastructure.toml).")
    Path infrastructure;

    @Option(names = "--distribution", paramLabel = "FILE", description = "The distribution model (default: DIR/distribution.toml).")
    Path distribution;

    ModelFiles files() {
        ModelFiles defaults = ModelFiles.in(directory);
        return new ModelFiles(
                services != null ? services : defaults.services(),
                infrastructure != null ? infrastructure : defaults.infrastructure(),
                distribution != null ? distribution : defaults.distribution());
    }

    /** How messages name the model: its directory, or the services file when files were given one by one. */
    String name() {
        return services != null ? services.toString() : directory.toString();
    }
}
