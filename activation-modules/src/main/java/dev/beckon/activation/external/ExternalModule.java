package dev.beckon.activation.external;

import dev.beckon.models.Messages;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An activation module that is a program, Dysnomia style: a type name that is not built in names an
 * executable on the module path, called as {@code MODULE OPERATION INSTANCE_DIR} for each operation
 * ({@code activate}, {@code deactivate}, {@code lock}, {@code unlock}, {@code query}). Exit code 0 is
 * success; what it writes to standard error goes to the user as it comes, and its last lines into the
 * error when it fails. A module must exit 0 for an operation it does not know, so that later versions
 * of beckon may add some.
 *
 * <p>The instance's settings and its container's come as {@code BECKON_*} variables (never on the
 * command line: they may be secrets). The service's environment and argv come as files beckon writes
 * into {@code INSTANCE_DIR} before {@code activate} and removes after a successful {@code deactivate}:
 * {@code launcher} (runs the service: sets its environment, execs its argv), {@code environment.sh}
 * ({@code export NAME='value'} lines) and {@code argv.sh} ({@code set -- 'ARG0' 'ARG1' ...}), every value
 * quoted for {@code /bin/sh}. {@code query} answers with {@code KEY=VALUE} lines on standard output
 * ({@code presence=}, {@code activity=}, {@code drift=}, {@code detail=}). activation-modules/README.md
 * documents the whole protocol.
 */
public final class ExternalModule implements ActivationModule {
    static final String ACTIVATE = "activate";
    static final String DEACTIVATE = "deactivate";
    static final String LOCK = "lock";
    static final String UNLOCK = "unlock";
    static final String QUERY = "query";
    /** Optional: prints the instance's last log lines ({@code BECKON_LOG_LINES} of them) on standard output. */
    static final String LOGS = "logs";
    /** The sourceable file with the service's environment. */
    public static final String ENVIRONMENT_FILE = "environment.sh";
    /** The sourceable file that sets {@code "$@"} to the service's argv. */
    public static final String ARGV_FILE = "argv.sh";
    static final List<String> FILES = List.of(Launcher.FILE_NAME, ENVIRONMENT_FILE, ARGV_FILE);
    /** rw-------: the files hold the service's environment, which may hold secrets. */
    static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    /** How long one call may take; {@code lock} may wait for a service to drain its connections. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private final String type;
    private final Path executable;
    private final Consumer<String> output;
    private final Duration timeout;

    /** The module {@code type}, run from {@code executable}; what it prints goes to beckon's standard error. */
    public ExternalModule(String type, Path executable) {
        this(type, executable, System.err::println, DEFAULT_TIMEOUT);
    }

    /**
     * @param output where each line the module prints goes, prefixed with the module, operation and
     *     instance, as it comes
     * @param timeout how long one call may take before it and its children are killed
     */
    public ExternalModule(String type, Path executable, Consumer<String> output, Duration timeout) {
        this.type = type;
        this.executable = executable;
        this.output = output;
        this.timeout = timeout;
    }

    @Override
    public String type() {
        return type;
    }

    /** The module's program. */
    public Path executable() {
        return executable;
    }

    /**
     * The files beckon writes into the instance directory for the module: the launcher,
     * {@code environment.sh} and {@code argv.sh}. What the module itself writes is its own business.
     */
    @Override
    public Rendering render(ServiceInstance instance) {
        String header = "# Written by beckon for " + Messages.printable(instance.id()) + " (profile " + Messages.printable(instance.profile())
                + ").\n";
        StringBuilder argv = new StringBuilder(header).append("set --");
        for (int i = 0; i < instance.exec().size(); i++) {
            try {
                argv.append(' ').append(Launcher.quote(instance.exec().get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(instance.id() + ": argument " + i + " of its exec " + e.getMessage(), e);
            }
        }
        return new Rendering(List.of(
                new RenderedFile(Launcher.FILE_NAME, Launcher.render(instance, Optional.empty()), true),
                new RenderedFile(ENVIRONMENT_FILE, header + Launcher.exports(instance), false),
                new RenderedFile(ARGV_FILE, argv.append('\n').toString(), false)));
    }

    /**
     * A session that calls the program for each operation. The container's settings must map to
     * distinct variable names.
     *
     * @throws ActivationException when the program is gone since it was found, or two settings would be one variable
     */
    @Override
    public ModuleSession open(TargetContainer container) throws ActivationException {
        if (!Files.isExecutable(executable)) {
            throw new ActivationException(container.target(), "the external module " + type + " at " + executable + " is no longer an executable file");
        }
        try {
            ModuleEnvironment.containerVariables(container.settings());
        } catch (IllegalArgumentException e) {
            throw new ActivationException(container.target(), "the " + type + " container: " + e.getMessage());
        }
        return new ExternalSession(this, container, output, timeout);
    }

    @Override
    public String toString() {
        return type + " (" + executable + ")";
    }
}
