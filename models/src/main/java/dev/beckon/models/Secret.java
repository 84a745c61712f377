package dev.beckon.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One secret of a service ({@code [services.X.secrets]}): where its value is read on the deploying machine, never
 * the value itself, which the model never holds (see {@link SecretSources}).
 *
 * @param name the credential's name: its file name in {@code $CREDENTIALS_DIRECTORY}, and how plans name it
 * @param file the file that holds the value, absolute (the model writes it relative to its own file); empty for a command
 * @param command the command that prints the value (argv, run without a shell); empty for a file
 * @param workingDirectory the directory of the model file that declares it, where the command runs
 * @param definedAt where its declaration is, for every message about it
 */
public record Secret(String name, Optional<Path> file, List<String> command, Path workingDirectory, SourceLocation definedAt) {
    public Secret {
        command = List.copyOf(command);
        if (file.isPresent() == !command.isEmpty()) {
            throw new IllegalArgumentException("secret " + name + " needs exactly one of a file and a command");
        }
    }

    /** How messages and the README name its source: {@code file /m/secrets/db} or {@code command pass show db}. */
    public String source() {
        return file.map(f -> "file " + Messages.printable(f.toString()))
                .orElseGet(() -> "command " + Messages.printable(String.join(" ", command)));
    }
}
