package dev.beckon.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * openbsd-inetd or xinetd running in the foreground on a configuration of the caller's own, never the
 * machine's. Closing it stops the daemon and kills, by pid, every server it started.
 */
public final class InetdDaemon implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(10);

    /** Where {@code bin/test} unpacks Debian's xinetd, which cannot be installed beside openbsd-inetd. */
    public static final Path UNPACKED_XINETD = Path.of("/opt/beckon-test-tools/xinetd/usr/sbin/xinetd");

    private final String name;
    private final Process process;
    private final Path pidFile;
    private final Path logFile;

    private InetdDaemon(String name, Process process, Path pidFile, Path logFile) {
        this.name = name;
        this.process = process;
        this.pidFile = pidFile;
        this.logFile = logFile;
    }

    /**
     * Starts openbsd-inetd ({@code inetd -d CONFIG}) and waits until it has read its configuration.
     * openbsd-inetd writes no pid file in the foreground, so this writes {@code directory/inetd.pid}
     * for it: what a model's {@code pid-file} setting points at.
     */
    public static InetdDaemon openbsdInetd(Path config, Path directory) throws IOException {
        Path binary = Path.of("/usr/sbin/inetd");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " is missing: install Debian's openbsd-inetd (bin/test does, as root)");
        }
        Files.createDirectories(directory);
        Path log = directory.resolve("inetd.log");
        Process process = start(List.of(binary.toString(), "-d", config.toAbsolutePath().toString()), log);
        Path pidFile = directory.resolve("inetd.pid");
        Files.writeString(pidFile, process.pid() + "\n");
        InetdDaemon daemon = new InetdDaemon("inetd", process, pidFile, log);
        // In debug mode it logs each service it adds; an empty configuration logs nothing, so give up waiting quietly.
        daemon.awaitLog(text -> !Files.exists(config) || text.contains("ADD:") || configIsEmpty(config));
        // It logs each service once bound, but binds the next one after: all are bound once it waits for work.
        daemon.awaitEventLoop();
        return daemon;
    }

    /**
     * Starts xinetd ({@code xinetd -dontfork -f CONFIG -pidfile FILE}) and waits until it has written its pid file and
     * then waits for work: it writes the pid file before it binds its services (strace shows it), so the file alone
     * lets a client in before the port is open.
     */
    public static InetdDaemon xinetd(Path config, Path directory) throws IOException {
        Path binary = Files.isExecutable(UNPACKED_XINETD) ? UNPACKED_XINETD : Path.of("/usr/sbin/xinetd");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("xinetd is missing: bin/test unpacks Debian's xinetd to " + UNPACKED_XINETD
                    + " when run as root");
        }
        Files.createDirectories(directory);
        Path log = directory.resolve("xinetd.log");
        Path pidFile = directory.resolve("xinetd.pid");
        Files.deleteIfExists(pidFile);
        Process process = start(List.of(binary.toString(), "-dontfork", "-f", config.toAbsolutePath().toString(),
                "-pidfile", pidFile.toString()), log);
        InetdDaemon daemon = new InetdDaemon("xinetd", process, pidFile, log);
        daemon.awaitPid(pidFile);
        daemon.awaitEventLoop();
        return daemon;
    }

    private static Process start(List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("LISTEN_") || name.equals("NOTIFY_SOCKET"));
        return builder.start();
    }

    private static boolean configIsEmpty(Path config) {
        try {
            return Files.readAllLines(config).stream().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#"));
        } catch (IOException e) {
            return false;
        }
    }

    private void awaitLog(java.util.function.Predicate<String> ready) throws IOException {
        Instant deadline = Instant.now().plus(START_LIMIT);
        while (Instant.now().isBefore(deadline)) {
            failIfExited();
            if (ready.test(Files.readString(logFile))) {
                return;
            }
            Processes.sleep(Duration.ofMillis(20));
        }
        close();
        throw new IllegalStateException(name + " did not come up within " + START_LIMIT.toSeconds() + " s; its log:\n"
                + Processes.tail(logFile, 20));
    }

    private void awaitPid(Path file) {
        Instant deadline = Instant.now().plus(START_LIMIT);
        while (Instant.now().isBefore(deadline)) {
            failIfExited();
            // xinetd creates the file before it writes its pid: an empty file is not yet its word.
            if (holdsPid(file)) {
                return;
            }
            Processes.sleep(Duration.ofMillis(20));
        }
        close();
        throw new IllegalStateException(name + " wrote no " + file + " within " + START_LIMIT.toSeconds() + " s; its log:\n"
                + Processes.tail(logFile, 20));
    }

    /**
     * Waits until the daemon waits for work in its event loop: every thread blocked in a system call, the same one on
     * two looks a moment apart. After reading its configuration a daemon makes no other blocking call before its loop's
     * poll, and a thread that runs, or is preempted, shows as running. Where the kernel does not let this process look
     * ({@code /proc/PID/task/TID/syscall} needs the right to trace the daemon), it returns at once.
     */
    private void awaitEventLoop() {
        Instant deadline = Instant.now().plus(START_LIMIT);
        Optional<String> before = Optional.empty();
        while (Instant.now().isBefore(deadline)) {
            failIfExited();
            Optional<String> calls = blockingCalls();
            if (calls.isEmpty() && !canLook()) {
                return;
            }
            if (calls.isPresent() && calls.equals(before)) {
                return;
            }
            before = calls;
            Processes.sleep(Duration.ofMillis(20));
        }
        close();
        throw new IllegalStateException(name + " did not wait for work within " + START_LIMIT.toSeconds() + " s; its log:\n"
                + Processes.tail(logFile, 20));
    }

    /** Each thread's system call number, by thread, when every thread is blocked in one; empty when one is not. */
    private Optional<String> blockingCalls() {
        StringBuilder calls = new StringBuilder();
        try (java.nio.file.DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            for (Path thread : threads) {
                String[] fields = Files.readString(thread.resolve("syscall")).trim().split(" ");
                // "running", or "-1 SP PC" for a thread blocked outside a system call.
                if (fields.length < 3 || fields[0].equals("running") || fields[0].equals("-1")) {
                    return Optional.empty();
                }
                calls.append(thread.getFileName()).append('=').append(fields[0]).append(' ');
            }
        } catch (IOException | RuntimeException cannotLook) {
            return Optional.empty();
        }
        return calls.isEmpty() ? Optional.empty() : Optional.of(calls.toString());
    }

    private boolean canLook() {
        try {
            Files.readString(Path.of("/proc", Long.toString(process.pid()), "syscall"));
            return true;
        } catch (IOException e) {
            return !process.isAlive();
        }
    }

    private static boolean holdsPid(Path file) {
        try {
            return Files.readString(file).strip().matches("[0-9]+");
        } catch (IOException e) {
            return false;
        }
    }

    private void failIfExited() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; its log:\n"
                    + Processes.tail(logFile, 20));
        }
    }

    /** The daemon's pid. */
    public long pid() {
        return process.pid();
    }

    /** The file holding the daemon's pid, as a model's {@code pid-file} names it. */
    public Path pidFile() {
        return pidFile;
    }

    /** What the daemon printed. */
    public Path logFile() {
        return logFile;
    }

    /** Makes the daemon read its configuration again (SIGHUP). */
    public void reload() {
        Processes.signal(pid(), "HUP");
    }

    /** The servers the daemon has started and that still run. */
    public Set<Long> servers() {
        Set<Long> pids = new TreeSet<>();
        process.descendants().forEach(d -> pids.add(d.pid()));
        return pids;
    }

    /** Whether the daemon still runs. */
    public boolean isRunning() {
        return process.isAlive();
    }

    @Override
    public void close() {
        Set<Long> everyone = servers();
        everyone.add(process.pid());
        process.destroy();
        Processes.awaitExit(Set.of(process.pid()), Duration.ofSeconds(5));
        everyone.addAll(servers());
        Processes.killAll(everyone);
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }

    /** For messages in tests: the daemon's log, when it exists. */
    public Optional<String> log() {
        try {
            return Optional.of(Files.readString(logFile));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
