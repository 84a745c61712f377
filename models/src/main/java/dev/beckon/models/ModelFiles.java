package dev.beckon.models;

import java.nio.file.Path;

/** The three files of a model. Relative {@code package} paths are resolved against the services file's directory. */
public record ModelFiles(Path services, Path infrastructure, Path distribution) {
    public static final String SERVICES = "services.toml";
    public static final String INFRASTRUCTURE = "infrastructure.toml";
    public static final String DISTRIBUTION = "distribution.toml";

    /** The three files under their usual names in one directory. */
    public static ModelFiles in(Path directory) {
        return new ModelFiles(directory.resolve(SERVICES).normalize(), directory.resolve(INFRASTRUCTURE).normalize(),
                directory.resolve(DISTRIBUTION).normalize());
    }
}
