package dev.beckon.activation.inetd;

import dev.beckon.models.Messages;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.Launcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A running inetd or xinetd, found through its pid file, and the servers it has started. */
final class Daemon {
    /** How long a server may take to exit after SIGTERM before it is killed. */
    static final Duration STOP_LIMIT = Duration.ofSeconds(10);
    private static final int SIGHUP = 1;
    /** How long to look for the daemon waiting in its event loop before it is signalled; it is, nearly always. */
    private static final Duration IDLE_LOOK = Duration.ofSeconds(1);
    /** How long the daemon may take to reread its configuration, at most; a reread takes milliseconds. */
    private static final Duration RELOAD_LIMIT = Duration.ofSeconds(10);
    /** How long to let a daemon that cannot be looked at reread its configuration. */
    private static final Duration RELOAD_SETTLE = Duration.ofMillis(200);

    private final String name;
    private final long pid;

    private Daemon(String name, long pid) {
        this.name = name;
        this.pid = pid;
    }

    /**
     * The daemon whose pid the pid file holds, when it runs.
     *
     * @param name the daemon's program name ({@code inetd}, {@code xinetd}); a pid file naming another
     *     program is an error, never a process to signal (SIGHUP would end most programs)
     * @throws ActivationException when the pid file cannot be read or names another program
     */
    static Optional<Daemon> find(String name, Path pidFile, String who) throws ActivationException {
        String text;
        try {
            text = Files.readString(pidFile, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ActivationException(who, "cannot read " + name + "'s pid file " + pidFile + ": " + e.getMessage(), e);
        }
        if (!text.matches("[0-9]{1,10}")) {
            throw new ActivationException(who, name + "'s pid file " + pidFile + " does not hold a pid: " + Messages.quote(text));
        }
        long pid = Long.parseLong(text);
        Optional<String> command = command(pid);
        if (command.isEmpty() || !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return Optional.empty();
        }
        if (!command.get().contains(name.equals("xinetd") ? "xinetd" : "inetd")) {
            throw new ActivationException(who, name + "'s pid file " + pidFile + " names pid " + pid + ", which runs "
                    + Messages.printable(command.get()) + ", not " + name + "; is " + name + " running, and is pid-file right?");
        }
        return Optional.of(new Daemon(name, pid));
    }

    /** Like {@link #find}, but the daemon must run. */
    static Daemon require(String name, Path pidFile, String who) throws ActivationException {
        return find(name, pidFile, who).orElseThrow(() -> new ActivationException(who, name + " is not running: its pid file "
                + pidFile + " is missing or names no live process (start " + name + ", or set the container's pid-file)"));
    }

    long pid() {
        return pid;
    }

    /** Whether any process of the daemon's own runs: a server, or one it forked that has not exec'd yet. */
    boolean hasChildren() {
        return ProcessHandle.of(pid).map(daemon -> daemon.children().findAny().isPresent()).orElse(false);
    }

    String name() {
        return name;
    }

    /**
     * Makes the daemon read its configuration again (SIGHUP), and waits until it has: it handles the
     * signal in its event loop, and is back waiting in that loop once the reread is done (see
     * {@link EventLoopProbe}). When the daemon cannot be looked at that way, it waits {@link #RELOAD_SETTLE}.
     * Either way the callers still verify what they need (a socket opened or closed), each with its own limit.
     */
    void reload(String who) throws ActivationException {
        try {
            Optional<Map<String, String>> waitingBefore = EventLoopProbe.awaitIdle(pid, IDLE_LOOK);
            signal(who);
            if (waitingBefore.isEmpty() || !EventLoopProbe.awaitHandled(pid, SIGHUP, waitingBefore.get(), RELOAD_LIMIT)) {
                Thread.sleep(RELOAD_SETTLE.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(who, "interrupted while making " + this + " reload", e);
        }
    }

    private void signal(String who) throws ActivationException, InterruptedException {
        // The JDK sends only TERM and KILL.
        try {
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            // Waited for before its output is read, so that the limit applies; kill writes a line at most,
            // which the pipe holds.
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new ActivationException(who, "cannot make " + this + " reload: kill -HUP did not finish within 10 s");
            }
            if (kill.exitValue() != 0) {
                String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                throw new ActivationException(who, "cannot make " + this + " reload: kill -HUP failed: " + output);
            }
        } catch (IOException e) {
            throw new ActivationException(who, "cannot make " + this + " reload: cannot run kill: " + e.getMessage(), e);
        }
    }

    /** The inodes of the sockets the daemon holds open. */
    Set<Long> socketInodes() {
        return socketInodes(pid);
    }

    static Set<Long> socketInodes(long pid) {
        return TcpListeners.socketInodes(pid);
    }

    /**
     * The servers the daemon runs for these launchers: its children that run a launcher (the moment
     * before it execs the service) or carry one in {@link Launcher#MARKER_VARIABLE} (the service).
     */
    List<ProcessHandle> servers(Collection<Path> launchers) {
        List<ProcessHandle> servers = new ArrayList<>();
        Optional<ProcessHandle> daemon = ProcessHandle.of(pid);
        if (daemon.isEmpty()) {
            return servers;
        }
        List<String> markers = launchers.stream().map(l -> Launcher.MARKER_VARIABLE + "=" + l).toList();
        List<String> paths = launchers.stream().map(Path::toString).toList();
        daemon.get().children().forEach(child -> {
            List<String> environment = nulSeparated(child.pid(), "environ");
            List<String> commandLine = nulSeparated(child.pid(), "cmdline");
            if (environment.stream().anyMatch(markers::contains) || commandLine.stream().anyMatch(paths::contains)) {
                servers.add(child);
            }
        });
        return servers;
    }

    /**
     * Stops servers: SIGTERM, then SIGKILL for those (and their children) still there after
     * {@link #STOP_LIMIT}. Returns once all are gone.
     */
    static void stop(Collection<ProcessHandle> servers) {
        List<ProcessHandle> everyone = new ArrayList<>();
        for (ProcessHandle server : servers) {
            everyone.add(server);
            server.descendants().forEach(everyone::add);
            server.destroy();
        }
        long deadline = System.nanoTime() + STOP_LIMIT.toNanos();
        for (ProcessHandle server : servers) {
            awaitExit(server, deadline);
        }
        everyone.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        long killDeadline = System.nanoTime() + STOP_LIMIT.toNanos();
        everyone.forEach(p -> awaitExit(p, killDeadline));
    }

    private static void awaitExit(ProcessHandle process, long deadlineNanos) {
        try {
            process.onExit().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException stillThere) {
            // Killed next, or reported by the caller's check of what still runs.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The program's name as the kernel keeps it; openbsd-inetd rewrites its command line, not this. */
    private static Optional<String> command(long pid) {
        try {
            return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "comm"), StandardCharsets.UTF_8).strip());
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    private static List<String> nulSeparated(long pid, String file) {
        try {
            String text = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), file)), StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\0"));
        } catch (IOException | SecurityException unreadable) {
            // Gone, or another user's process (not one of ours, which run as beckon's user).
            return List.of();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid + ")";
    }
}
