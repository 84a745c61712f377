package dev.beckon.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A private systemd user manager, for tests and for machines where no systemd runs (containers, CI).
 *
 * <p>It runs in a mount namespace of its own with a tmpfs on {@code /run}, so it sees
 * {@code /run/systemd/system} (systemd's sign that it may manage services) and keeps its runtime
 * directory, bus and sockets away from the host's. From outside, its runtime directory is reached
 * through the manager's root: {@code /proc/PID/root/run/user/0}. Its units live in this sandbox's
 * own directory, never in the user's real configuration. Closing it stops the manager and kills,
 * by pid, every process that ran inside it; {@link #reboot} then starts a new one on the same directory.
 */
public final class SystemdUserManager implements AutoCloseable {
    /** The uid the manager sees itself as: root runs it as root, others through a user namespace mapping them to root. */
    private static final String RUNTIME_DIR_INSIDE = "/run/user/0";
    private static final String SYSTEMD = "/usr/lib/systemd/systemd";
    private static final String JOURNALD = "/usr/lib/systemd/systemd-journald";
    private static final Duration START_LIMIT = Duration.ofSeconds(30);
    private static final Duration STOP_LIMIT = Duration.ofSeconds(5);
    private static final String PID_FILE = "manager.pid";
    /**
     * Where a manager's processes are tracked: cgroup v1's systemd hierarchy, the hybrid layout's v2 one, or pure v2;
     * and cgroup v1's memory, pids and cpu hierarchies. On v1 (and hybrid) systemd enforces MemoryMax=, TasksMax= and
     * CPUQuota= through a controller's hierarchy only when the manager's own cgroup exists there and is writable to it.
     */
    private static final List<String> CGROUP_HIERARCHIES = List.of("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup",
            "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu");
    /**
     * Each sandbox's own cgroup, named after its manager's pid. A slice, because journald takes the first
     * cgroup below any slices for the unit a process belongs to ({@code _SYSTEMD_UNIT}).
     */
    private static String cgroupName(String pid) {
        return "beckon-sandbox-" + pid + ".slice";
    }

    private final Path directory;
    /** Not final: {@link #reboot} replaces the manager this object stands for. */
    private volatile long pid;
    private volatile String mountNamespace;

    private SystemdUserManager(Path directory, long pid, String mountNamespace) {
        this.directory = directory;
        this.pid = pid;
        this.mountNamespace = mountNamespace;
    }

    /**
     * Starts a manager whose configuration, state and log live under {@code directory} and waits until
     * it is running.
     *
     * @throws IllegalStateException when it cannot start; the message holds the tail of its log
     */
    public static SystemdUserManager start(Path directory) throws IOException {
        if (!Files.isExecutable(Path.of(SYSTEMD))) {
            throw new IllegalStateException(SYSTEMD + " is missing: install Debian's systemd package (apt-get install systemd dbus-user-session)");
        }
        directory = directory.toAbsolutePath();
        Files.createDirectories(directory);
        for (String sub : List.of("config/systemd/user", "data", "state", "cache", "journal")) {
            Files.createDirectories(directory.resolve(sub));
        }
        Path log = directory.resolve("manager.log");
        // A journald of the sandbox's own keeps the services' logs; /var/log is masked so it cannot
        // write into the host's persistent journal, and its runtime journal is the sandbox's directory.
        String script = String.join("\n",
                "set -e",
                "mount -t tmpfs -o mode=0755 beckon-sandbox /run",
                "mkdir -p /run/systemd/system /run/log/journal " + RUNTIME_DIR_INSIDE,
                "chmod 0700 " + RUNTIME_DIR_INSIDE,
                "if [ -d /var/log ]; then mount -t tmpfs -o mode=0755 beckon-sandbox-log /var/log; fi",
                "mount --bind \"$BECKON_SANDBOX_JOURNAL\" /run/log/journal",
                JOURNALD + " >\"$BECKON_SANDBOX_JOURNAL/../journald.log\" 2>&1 &",
                "for i in $(seq 100); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done",
                // A manager puts its units' processes into cgroups below its own. Started from the same
                // cgroup, two sandboxes would share app.slice/NAME.service, and stopping a unit in one
                // would kill the same unit's processes in the other (their dbus-daemons first of all).
                // The cgroup file systems are the machine's; only root may do this, so without it nothing changes.
                "for hierarchy in " + String.join(" ", CGROUP_HIERARCHIES) + "; do",
                "    if [ -w \"$hierarchy/cgroup.procs\" ] && mkdir -p \"$hierarchy/" + cgroupName("$$") + "\" 2>/dev/null; then",
                "        echo $$ > \"$hierarchy/" + cgroupName("$$") + "/cgroup.procs\" || true",
                "    fi",
                "done",
                "exec " + SYSTEMD + " --user");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        if (!isRoot()) {
            // FIXME: systemd 252 exits with status 1 and no output inside such a user namespace on
            // Debian 12 machines here; the sandbox works as root (as CI runs). See README, "Tests".
            command.addAll(1, List.of("--user", "--map-root-user"));
        }
        command.addAll(List.of("--", "/bin/sh", "-c", script));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                // Appended to: a manager started again on the same directory (a reboot) keeps the earlier one's log.
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(name -> name.startsWith("LISTEN_") || name.startsWith("DBUS_")
                || name.equals("NOTIFY_SOCKET") || name.startsWith("SYSTEMD_") || name.startsWith("INVOCATION_ID")
                || name.startsWith("XDG_"));
        environment.put("XDG_RUNTIME_DIR", RUNTIME_DIR_INSIDE);
        environment.put("XDG_CONFIG_HOME", directory.resolve("config").toString());
        environment.put("XDG_DATA_HOME", directory.resolve("data").toString());
        environment.put("XDG_STATE_HOME", directory.resolve("state").toString());
        environment.put("XDG_CACHE_HOME", directory.resolve("cache").toString());
        environment.put("BECKON_SANDBOX_JOURNAL", directory.resolve("journal").toString());
        Process process = builder.start();
        long pid = process.pid();
        Files.writeString(directory.resolve(PID_FILE), pid + "\n");
        try {
            String namespace = awaitRunning(process, directory, log);
            return new SystemdUserManager(directory, pid, namespace);
        } catch (RuntimeException | IOException e) {
            Processes.mountNamespace(pid).ifPresent(ns -> {
                if (!ns.equals(Processes.mountNamespace(ProcessHandle.current().pid()).orElse(""))) {
                    Processes.killAll(Processes.inMountNamespace(ns));
                }
            });
            process.destroyForcibly();
            Files.deleteIfExists(directory.resolve(PID_FILE));
            throw e;
        }
    }

    /**
     * Finds the manager a previous {@link #start} left running under {@code directory}, as
     * {@code beckon sandbox status|stop} do from a later process.
     *
     * @return empty when none runs there
     */
    public static Optional<SystemdUserManager> attach(Path directory) throws IOException {
        directory = directory.toAbsolutePath();
        Path pidFile = directory.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        String ours = Processes.mountNamespace(ProcessHandle.current().pid()).orElse("");
        Optional<String> namespace = Processes.mountNamespace(pid).filter(ns -> !ns.equals(ours));
        boolean isManager = ProcessHandle.of(pid).flatMap(h -> h.info().command())
                .filter(c -> c.equals(SYSTEMD)).isPresent();
        if (namespace.isEmpty() || !isManager) {
            Files.deleteIfExists(pidFile);
            return Optional.empty();
        }
        return Optional.of(new SystemdUserManager(directory, pid, namespace.get()));
    }

    private static String awaitRunning(Process process, Path directory, Path log) throws IOException {
        Instant deadline = Instant.now().plus(START_LIMIT);
        String ours = Processes.mountNamespace(ProcessHandle.current().pid()).orElse("");
        Path runtime = Path.of("/proc", Long.toString(process.pid()), "root", RUNTIME_DIR_INSIDE.substring(1));
        String lastState = "not started";
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the sandbox's systemd user manager exited with code " + process.exitValue()
                        + (isRoot() ? "" : " (as a non-root user, inside a user namespace; run it as root)")
                        + "; its log (" + log + "):\n" + Processes.tail(log, 20));
            }
            boolean inOwnNamespace = Processes.mountNamespace(process.pid()).filter(ns -> !ns.equals(ours)).isPresent();
            boolean isSystemd = process.info().command().filter(SYSTEMD::equals).isPresent();
            if (inOwnNamespace && isSystemd && Files.exists(runtime.resolve("systemd/private")) && Files.exists(runtime.resolve("bus"))) {
                // Not is-system-running: outside the namespace it answers "offline", seeing no /run/systemd/system.
                CommandResult state = systemctl(runtime, List.of("show", "--property=SystemState", "--value"), Duration.ofSeconds(5));
                lastState = state.stdout().strip();
                if (lastState.equals("running") || lastState.equals("degraded")) {
                    return Processes.mountNamespace(process.pid()).orElseThrow();
                }
            }
            Processes.sleep(Duration.ofMillis(50));
        }
        throw new IllegalStateException("the sandbox's systemd user manager did not reach 'running' within "
                + START_LIMIT.toSeconds() + " s (last state: " + lastState + "); its log (" + log + "):\n" + Processes.tail(log, 20));
    }

    /** The manager's pid, as seen from outside its namespace. */
    public long pid() {
        return pid;
    }

    /** Where this sandbox keeps its configuration, state and log. */
    public Path directory() {
        return directory;
    }

    /** The manager's {@code $XDG_RUNTIME_DIR}, reached from outside through its root. */
    public Path runtimeDirectory() {
        return Path.of("/proc", Long.toString(pid), "root", RUNTIME_DIR_INSIDE.substring(1));
    }

    /**
     * The {@code infrastructure.toml} of one target, {@code local}, on this machine, whose systemd-unit container is this
     * manager (its bus, and its journal for failure reports and logs) and which keeps beckon's state in
     * {@code stateDirectory}. The tables of more containers of that target may follow it.
     */
    public String localTarget(Path stateDirectory) {
        return """
                [targets.local]
                host = "localhost"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                bus = "%s"
                journal-directory = "%s"
                """.formatted(stateDirectory, busAddress(), journalDirectory());
    }

    /** The D-Bus address of the sandbox's user bus. */
    public String busAddress() {
        return "unix:path=" + runtimeDirectory().resolve("bus");
    }

    /** Where the manager reads the user's unit files: its {@code $XDG_CONFIG_HOME/systemd/user}. */
    public Path unitDirectory() {
        return directory.resolve("config/systemd/user");
    }

    /** The manager's own output, from before its journal was up. */
    public Path logFile() {
        return directory.resolve("manager.log");
    }

    /**
     * The sandbox's journal, where the services' output and the manager's messages about them go:
     * read it with {@code journalctl --directory=DIR/MACHINE-ID} or {@code journalctl -D}.
     */
    public Path journalDirectory() {
        return directory.resolve("journal");
    }

    /** Whether the manager still runs. */
    public boolean isRunning() {
        return Processes.isAlive(pid);
    }

    /** Every process that runs in the sandbox now, the manager included. */
    public Set<Long> processes() {
        return Processes.inMountNamespace(mountNamespace);
    }

    /** The shell lines that point {@code systemctl --user} and beckon at this sandbox. */
    public List<String> exports() {
        return List.of(
                "export XDG_RUNTIME_DIR=" + runtimeDirectory(),
                "export DBUS_SESSION_BUS_ADDRESS=" + busAddress(),
                "export BECKON_SANDBOX=" + directory);
    }

    /**
     * Runs {@code systemctl --user ARGS} against this manager: an independent witness for tests, never
     * the way beckon itself drives systemd.
     */
    public CommandResult systemctl(String... arguments) {
        return systemctl(runtimeDirectory(), List.of(arguments), Duration.ofSeconds(30));
    }

    private static CommandResult systemctl(Path runtimeDirectory, List<String> arguments, Duration limit) {
        List<String> command = new ArrayList<>(List.of("systemctl", "--user", "--no-pager"));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("DBUS_") || name.startsWith("SYSTEMD_"));
        builder.environment().put("XDG_RUNTIME_DIR", runtimeDirectory.toString());
        builder.environment().put("SYSTEMD_COLORS", "0");
        try {
            Process process = builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            CompletableFuture<String> out = readAll(process.getInputStream());
            CompletableFuture<String> err = readAll(process.getErrorStream());
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                return new CommandResult(-1, out.get(), err.get() + "\n(timed out after " + limit.toSeconds() + " s)");
            }
            return new CommandResult(process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running systemctl", e);
        }
    }

    private static CompletableFuture<String> readAll(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /**
     * What beckon left in this manager, for tests that compare before and after: every unit file and link
     * whose name starts with {@code prefix}, byte for byte, and every such unit the manager has loaded, with
     * its states. Template instances ({@code NAME@N.service}, one per connection) come and go with clients and
     * are left out.
     */
    public String unitSnapshot(String prefix) throws IOException {
        StringBuilder snapshot = new StringBuilder();
        try (var files = Files.walk(unitDirectory())) {
            for (Path file : files.sorted().toList()) {
                if (file.getFileName().toString().startsWith(prefix)) {
                    snapshot.append(unitDirectory().relativize(file)).append(Files.isSymbolicLink(file)
                            ? " -> " + Files.readSymbolicLink(file) : "\n" + Files.readString(file)).append('\n');
                }
            }
        }
        systemctl("list-units", "--all", "--plain", "--no-legend", prefix + "*").stdout().lines()
                .map(line -> line.strip().replaceAll("\\s+", " "))
                .filter(line -> !line.matches("\\S+@\\S+\\.service .*"))
                .sorted().forEach(line -> snapshot.append(line).append('\n'));
        return snapshot.toString();
    }

    /**
     * Stops the manager the way a logout would (SIGTERM: it stops its units and exits), then kills
     * by pid whatever still runs in its namespace.
     */
    @Override
    public void close() {
        Set<Long> everyone = new TreeSet<>(processes());
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> everyone.add(d.pid())));
        everyone.add(pid);
        if (Processes.isAlive(pid)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            Processes.awaitExit(Set.of(pid), STOP_LIMIT);
        }
        everyone.addAll(processes());
        Processes.killAll(everyone);
        removeCgroups();
        try {
            Files.deleteIfExists(directory.resolve(PID_FILE));
        } catch (IOException e) {
            // The pid file is only a hint for attach(), which checks the pid before trusting it.
        }
    }

    /**
     * Reboots the sandbox's machine: stops the manager as {@link #close} does (every service dies, and the tmpfs on
     * {@code /run}, with the runtime directory and everything in it, is gone), then starts a new one on the same
     * directory, which finds the unit files, their links and its state there, as a manager does after a reboot. Only
     * what the new manager starts by itself runs: its {@code default.target} and what that wants (enabled sockets).
     * This object then stands for the new manager: its pid, {@link #runtimeDirectory} and {@link #busAddress}
     * change; its directory and journal do not.
     *
     * @throws IllegalStateException when the new manager cannot start, as {@link #start} does
     */
    public synchronized void reboot() throws IOException {
        close();
        SystemdUserManager booted = start(directory);
        mountNamespace = booted.mountNamespace;
        pid = booted.pid;
    }

    /** The sandbox's cgroups, now that no process is left in them; innermost first, as rmdir needs. */
    private void removeCgroups() {
        for (String hierarchy : CGROUP_HIERARCHIES) {
            Path own = Path.of(hierarchy, cgroupName(String.valueOf(pid)));
            if (!Files.isDirectory(own)) {
                continue;
            }
            try (var tree = Files.walk(own)) {
                for (Path group : tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(group);
                }
            } catch (IOException | UncheckedIOException e) {
                // An empty cgroup left behind costs nothing; the next sandbox gets a name of its own anyway.
            }
        }
    }

    private static boolean isRoot() {
        try {
            return Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "systemd user manager sandbox (pid " + pid + ", " + directory + ")";
    }
}
