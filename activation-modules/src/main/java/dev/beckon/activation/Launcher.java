package dev.beckon.activation;

import dev.beckon.models.Messages;
import dev.beckon.models.Durations;
import dev.beckon.models.SocketPassing;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A {@code /bin/sh} script that starts a service with its environment and its exact argv, for
 * service managers that cannot pass either (inetd splits its command line on white space, knows no
 * quoting and passes no environment) and for external modules. Every value is single-quoted, so any
 * character but NUL (which no argument can hold) reaches the service as the model wrote it.
 *
 * <p>The script drops every {@code BECKON_*} variable it inherits (an external module's own settings
 * are not the service's) and exports {@value #MARKER_VARIABLE} with its own path: the service's
 * processes carry it in their environment, which is how a module finds them after the script has
 * exec'd the service.
 */
public final class Launcher {
    /** The launcher's file name in the instance directory. */
    public static final String FILE_NAME = "launcher";
    /** The variable holding the launcher's path in the environment of the processes it starts. */
    public static final String MARKER_VARIABLE = "BECKON_LAUNCHER";
    /** The variable holding the idle timeout, in the model's syntax, when it is not zero. */
    public static final String IDLE_TIMEOUT_VARIABLE = "BECKON_IDLE_TIMEOUT";
    /**
     * rwx------: the launcher holds the service's environment, which may hold secrets. The service
     * manager starts it as the user beckon runs as, who owns it.
     */
    public static final Set<PosixFilePermission> PERMISSIONS = PosixFilePermissions.fromString("rwx------");
    /** A log that reaches this size is moved to {@code LOG.1} when the next server starts. */
    static final long LOG_ROTATE_BYTES = 1 << 20;

    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** What a service manager that passes no PATH (openbsd-inetd launders it away) leaves the service with. */
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private Launcher() {}

    /** Where the instance's launcher goes: {@code INSTANCE_DIRECTORY/launcher}. */
    public static Path path(ServiceInstance instance) {
        return instance.instanceDirectory().resolve(FILE_NAME);
    }

    /**
     * The launcher script. Pure.
     *
     * @param log where the service's standard output and error go (appended, rotated at 1 MiB); empty:
     *     they stay what the caller gave the launcher
     * @throws IllegalArgumentException naming the instance and the value that no shell could pass on
     */
    public static String render(ServiceInstance instance, Optional<Path> log) {
        return render(instance, log, false);
    }

    /**
     * The launcher script for a service manager that hands the socket over on fd 0 (inetd, xinetd).
     * Pure. With {@code pass = "listen-fds"} the script moves that socket to fd 3 and sets
     * {@code LISTEN_FDS=1}, {@code LISTEN_PID} (its own pid, which the service keeps: the script execs
     * it) and {@code LISTEN_FDNAMES} (the listener's name, or {@code connection} for one process per
     * connection, as systemd names it), so a program written for systemd's sd_listen_fds(3) runs
     * unmodified; fd 0 then reads /dev/null.
     *
     * @param socketOnStandardInput whether the manager starts the launcher with the socket on fd 0
     * @throws IllegalArgumentException naming the instance and the value that no shell could pass on
     */
    public static String render(ServiceInstance instance, Optional<Path> log, boolean socketOnStandardInput) {
        return render(instance, log, socketOnStandardInput, "");
    }

    /**
     * The launcher script, with {@code beforeExec} (whole shell lines, such as a module's {@code ulimit}s) run
     * after the log is open and just before the service is exec'd. Pure.
     */
    public static String render(ServiceInstance instance, Optional<Path> log, boolean socketOnStandardInput, String beforeExec) {
        StringBuilder script = new StringBuilder("#!/bin/sh\n");
        // printable: a newline in a name must not end the comment and become a command.
        script.append("# Written by beckon for ").append(Messages.printable(instance.id())).append(" (profile ").append(Messages.printable(instance.profile()))
                .append("): starts the service\n# with its environment and exact argv. beckon deploy rewrites it: change the model instead.\n");
        // A manager that launders PATH away would leave a bare program name unfindable; the model may still set its own.
        script.append("PATH=\"${PATH:-").append(DEFAULT_PATH).append("}\"\nexport PATH\n");
        // beckon's variables for whoever started the launcher (an external module's settings, which may be
        // secrets) are not the service's; the service gets the ones set below.
        script.append("for variable in $(env | sed -n 's/^\\(BECKON_[A-Za-z0-9_]*\\)=.*/\\1/p'); do\n    unset \"$variable\"\ndone\n");
        script.append("export ").append(MARKER_VARIABLE).append('=').append(quote(path(instance).toString(), instance, "its launcher path"))
                .append('\n');
        log.ifPresent(file -> {
            String quoted = quote(file.toString(), instance, "its log path");
            // Quiet on every path: before the redirection below, standard error may be the client's connection.
            script.append("if [ \"$(wc -c 2>/dev/null < ").append(quoted).append(")\" -gt ").append(LOG_ROTATE_BYTES)
                    .append(" ] 2>/dev/null; then\n");
            script.append("    mv -f ").append(quoted).append(' ').append(quote(file + ".1", instance, "its log path")).append('\n');
            script.append("fi\n");
            script.append("exec >>").append(quoted).append(" 2>&1\n");
        });
        script.append(exports(instance));
        if (socketOnStandardInput) {
            script.append(socketHandover(instance));
        }
        script.append(beforeExec);
        script.append("exec");
        for (int i = 0; i < instance.exec().size(); i++) {
            script.append(' ').append(quote(instance.exec().get(i), instance, "argument " + i + " of its exec"));
        }
        return script.append('\n').toString();
    }

    /** Nothing for {@code stdin}; for {@code listen-fds}, fd 0 moved to fd 3 with the variables sd_listen_fds(3) reads. */
    private static String socketHandover(ServiceInstance instance) {
        ServiceInstance.Activation onDemand = instance.onDemand().orElse(null);
        if (onDemand == null || onDemand.pass() != SocketPassing.LISTEN_FDS) {
            return "";
        }
        String name = onDemand.accept() ? "connection" : onDemand.listenerNames(instance.ports()).get(0);
        return "# pass = \"listen-fds\": the socket the manager put on fd 0 goes to fd 3, as systemd passes it.\n"
                + "exec 3<&0 0</dev/null\n"
                + "export LISTEN_FDS=1 LISTEN_PID=$$ LISTEN_FDNAMES=" + quote(name, instance, "its listener name") + "\n";
    }

    /**
     * The service's environment as {@code export NAME='value'} lines: the model's variables, then
     * {@value #IDLE_TIMEOUT_VARIABLE} when the instance has an idle timeout (it wins over a model
     * variable of that name, as in the systemd module).
     *
     * @throws IllegalArgumentException naming the instance and the variable that cannot be exported
     */
    public static String exports(ServiceInstance instance) {
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<String, String> variable : environment(instance).entrySet()) {
            if (!VARIABLE_NAME.matcher(variable.getKey()).matches()) {
                throw new IllegalArgumentException(instance.id() + ": environment variable name " + Messages.quote(variable.getKey())
                        + " is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }
            lines.append("export ").append(variable.getKey()).append('=')
                    .append(quote(variable.getValue(), instance, "environment variable " + variable.getKey())).append('\n');
        }
        return lines.toString();
    }

    /**
     * The variables the service gets: the model's, the idle timeout when there is one, the connection bound the service
     * keeps itself, and {@value Credentials#VARIABLE} when it has secrets (as systemd sets it).
     */
    public static SortedMap<String, String> environment(ServiceInstance instance) {
        SortedMap<String, String> environment = new TreeMap<>(instance.environment());
        if (!instance.secrets().isEmpty()) {
            environment.put(Credentials.VARIABLE, Credentials.directory(instance).toString());
        }
        environment.remove(IDLE_TIMEOUT_VARIABLE);
        instance.onDemand().filter(onDemand -> !onDemand.idleTimeout().isZero())
                .ifPresent(onDemand -> environment.put(IDLE_TIMEOUT_VARIABLE, Durations.format(onDemand.idleTimeout())));
        ServiceConnectionBound.value(instance).ifPresent(bound -> environment.put(ServiceConnectionBound.VARIABLE, bound));
        return environment;
    }

    /**
     * One word for {@code /bin/sh}: single-quoted, each {@code '} written as {@code '\''}. Inside
     * single quotes the shell gives every character its literal meaning, newlines included.
     *
     * @throws IllegalArgumentException for a NUL or a lone UTF-16 surrogate, which no file or argv can carry
     */
    public static String quote(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\0') {
                throw new IllegalArgumentException(Messages.quote(value) + " holds a NUL byte, which no program can receive");
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(Messages.quote(value) + " holds a lone UTF-16 surrogate, which UTF-8 cannot encode");
            }
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }

    private static String quote(String value, ServiceInstance instance, String what) {
        try {
            return quote(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(instance.id() + ": " + what + " " + e.getMessage(), e);
        }
    }
}
