package dev.beckon.activation.inetd;

import dev.beckon.models.Messages;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.StartLimit;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.ProfileNames;
import java.nio.file.Files;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * What inetd and xinetd entries have in common: which instances they can run, the names beckon gives
 * them, and the checks that keep every value a single word of their configuration syntax.
 */
final class SuperServerInstances {
    private static final Pattern PROFILE = ProfileNames.PATTERN;
    private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    /** A user name inetd reads as one user: its {@code .} and {@code :} separate a group. */
    private static final Pattern USER = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*\\$?");
    /** Characters that would end a word (inetd, xinetd) or start a comment or a block (xinetd). */
    private static final String BREAKS_A_WORD = "#{}";

    private static final int LOG_TAIL_LINES = 20;

    private SuperServerInstances() {}

    /** {@code beckon-PROFILE-SERVICE}: a profile holds no dash, so the name says both without ambiguity. */
    static String name(ServiceInstance instance) {
        if (!PROFILE.matcher(instance.profile()).matches()) {
            throw new IllegalArgumentException(instance.id() + ": profile " + Messages.quote(instance.profile())
                    + " is not 1-32 lower-case letters and digits");
        }
        if (!SERVICE.matcher(instance.service()).matches()) {
            throw new IllegalArgumentException(instance.id() + ": service name " + Messages.quote(instance.service())
                    + " is not [a-z0-9][a-z0-9-]*");
        }
        if (!SERVICE.matcher(instance.target()).matches()) {
            throw new IllegalArgumentException(instance.id() + ": target name " + Messages.quote(instance.target())
                    + " is not [a-z0-9][a-z0-9-]*");
        }
        return "beckon-" + instance.profile() + "-" + instance.service();
    }

    /**
     * The one TCP listener of an on-demand instance. inetd and xinetd start a server only when a
     * client connects, and hand it one socket.
     *
     * @throws IllegalArgumentException for an always-on service, several listeners or a Unix socket
     */
    static ListenAddress.Inet listener(ServiceInstance instance, String daemon) {
        ServiceInstance.Activation onDemand = instance.onDemand().orElseThrow(() -> new IllegalArgumentException(instance.id()
                + ": " + daemon + " starts a service only when a client connects, and this one is not on demand; add an"
                + " [services." + instance.service() + ".on-demand] table with its listen address, or use type systemd-unit"
                + " for a service that always runs"));
        if (onDemand.listen().size() != 1) {
            throw new IllegalArgumentException(instance.id() + ": " + daemon + " hands a server one socket, and this service"
                    + " listens on " + onDemand.listen().size() + " addresses " + onDemand.listen()
                    + "; give it one, or use type systemd-unit");
        }
        if (!(onDemand.listen().get(0) instanceof ListenAddress.Inet inet)) {
            throw new IllegalArgumentException(instance.id() + ": " + daemon + " listens on TCP ports only, not on the Unix socket "
                    + onDemand.listen().get(0));
        }
        inet.host().ifPresent(host -> {
            boolean valid = host.contains(":") ? ListenAddress.IPV6.matcher(host).matches() : ListenAddress.HOSTNAME.matcher(host).matches();
            if (!valid) {
                throw new IllegalArgumentException(instance.id() + ": listen host " + Messages.quote(host)
                        + " is not a host name, IPv4 or IPv6 address");
            }
        });
        return inet;
    }

    static boolean isIpv4Literal(String host) {
        return IPV4.matcher(host).matches();
    }

    /**
     * A value that must be one word of the daemon's configuration: no white space, no control
     * character, none of {@code # { }}.
     */
    static String word(String value, ServiceInstance instance, String what, String daemon) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || c < 0x20 || c == 0x7f || BREAKS_A_WORD.indexOf(c) >= 0) {
                String which = Character.isWhitespace(c) || Character.isSpaceChar(c) ? "white space"
                        : c < 0x20 || c == 0x7f ? "a control character" : "'" + c + "'";
                throw new IllegalArgumentException(instance.id() + ": " + what + " " + Messages.quote(value) + " holds " + which
                        + ", and " + daemon + " needs it as one word of its configuration (it knows no quoting);"
                        + " choose a state directory whose path has no white space or # { }");
            }
        }
        return value;
    }

    /** The user servers run as: the user beckon runs as, who owns the launcher. */
    static String user(ServiceInstance instance) {
        String user = System.getProperty("user.name", "");
        if (!USER.matcher(user).matches()) {
            throw new IllegalArgumentException(instance.id() + ": the user beckon runs as, " + Messages.quote(user)
                    + ", is not a name inetd and xinetd read as one user ([A-Za-z_][A-Za-z0-9_-]*)");
        }
        return user;
    }

    /** Where the instance's servers write their standard output and error. */
    static Path logFile(ServiceInstance instance) {
        return instance.stateDirectory().resolve("logs").resolve(instance.profile()).resolve(instance.service() + ".log");
    }

    /** The launcher inetd and xinetd start: the instance's environment, argv and socket, output to its log. */
    static RenderedFile launcher(ServiceInstance instance, String daemon) {
        String program = instance.exec().get(0);
        if (program.contains("/") && !program.startsWith("/")) {
            throw new IllegalArgumentException(instance.id() + ": its program " + Messages.quote(program) + " is a relative"
                    + " path; " + daemon + " runs servers from /, so give an absolute path or a bare name looked up on PATH");
        }
        word(Launcher.path(instance).toString(), instance, "the launcher's path", daemon);
        String limits = daemon.equals("inetd") ? SuperServerLimits.ulimits(instance) : "";
        return new RenderedFile(Launcher.FILE_NAME, Launcher.render(instance, Optional.of(logFile(instance)), true, limits), true);
    }

    /**
     * Starts per minute a {@code wait} server may have. The model's start limit over a minute, when it
     * sets one; else what a server living its idle timeout needs, twice that plus some room. Not the
     * systemd module's floor for servers that exit after every connection: inetd's rate limit is all
     * that stops a server failing at once here (systemd's module counts failures apart), so such a
     * server under inetd wants {@code accept = true} or a limit of its own. Never less than inetd's own
     * default of 256.
     */
    static int startsPerMinute(ServiceInstance instance) {
        ServiceInstance.Activation onDemand = instance.onDemand().orElseThrow();
        StartLimit limit = onDemand.startLimit();
        if (!limit.equals(StartLimit.of(onDemand.idleTimeout(), OptionalInt.empty(), Optional.empty()))) {
            return (int) Math.max(256, Math.min(Integer.MAX_VALUE, limit.burst() * 60_000L / limit.interval().toMillis()));
        }
        Duration idle = onDemand.idleTimeout();
        long lifetimeMillis = Math.max(idle.isZero() ? 1_000 : idle.toMillis(), 50);
        return (int) Math.max(256, Math.min(10_000, 2 * (60_000 / lifetimeMillis) + 20));
    }

    /**
     * Whether the program could be started: an absolute path to an executable file, or a name found on
     * the PATH the launcher gives it.
     *
     * @return empty when it can, else what is wrong
     */
    static Optional<String> programProblem(ServiceInstance instance) {
        String program = instance.exec().get(0);
        List<Path> candidates = new ArrayList<>();
        if (program.contains("/")) {
            candidates.add(Path.of(program));
        } else {
            String path = instance.environment().containsKey("PATH") ? instance.environment().get("PATH")
                    : System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            for (String directory : path.split(":")) {
                if (!directory.isEmpty()) {
                    candidates.add(Path.of(directory, program));
                }
            }
        }
        if (candidates.stream().anyMatch(p -> Files.isRegularFile(p) && Files.isExecutable(p))) {
            return Optional.empty();
        }
        return Optional.of("its program " + Messages.printable(program) + " is not an executable file"
                + (program.contains("/") ? "" : " on the PATH") + "; the server could never start");
    }

    /** The last lines the instance's servers wrote, oldest first; empty when there is no log. */
    static List<String> logTail(ServiceInstance instance) {
        try {
            List<String> lines = Files.readAllLines(SuperServerInstances.logFile(instance));
            return lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()).stream().map(Messages::printable).toList();
        } catch (IOException | RuntimeException noLog) {
            return List.of();
        }
    }

    /** The last three lines of the log, for a one-line failure: {@code ; its log PATH ends: a | b | c}. */
    static String logEnd(ServiceInstance instance) {
        List<String> tail = logTail(instance);
        List<String> last = tail.subList(Math.max(0, tail.size() - 3), tail.size());
        return last.isEmpty() ? "" : "; its log " + SuperServerInstances.logFile(instance) + " ends: " + String.join(" | ", last);
    }
}
