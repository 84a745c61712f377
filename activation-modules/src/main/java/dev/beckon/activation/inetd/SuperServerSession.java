package dev.beckon.activation.inetd;

import dev.beckon.models.Messages;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.LogFiles;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ListenerHandover;
import dev.beckon.activation.ReadinessWait;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The work of the inetd and xinetd modules on one daemon: files written atomically, one SIGHUP for
 * all that changed, and activation verified by what the kernel says listens. The two differ only in
 * where an instance's entry lives (a line of a shared file, or a file of its own).
 */
abstract class SuperServerSession implements ModuleSession {
    /** How long the daemon may take to open or close a socket after SIGHUP. */
    static final Duration LISTEN_LIMIT = Duration.ofSeconds(10);
    /** How long to let the daemon read its configuration before sweeping for servers of an old entry. */
    private static final Duration RELOAD_SETTLE = Duration.ofMillis(200);
    /** How long connections may wait in the backlog with no server before query calls the instance failed. */
    private static final Duration BACKLOG_GRACE = Duration.ofSeconds(1);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final int LOG_LINES = 20;

    private final String target;
    private final String daemonName;
    private final Path pidFile;
    private boolean reloadPending;
    /**
     * What {@link #install} wrote and found, by instance id, for the {@link #activate} of that version that
     * follows. An install undone before its activation is followed by the install of the previous version,
     * which replaces it.
     */
    private final Map<String, Installed> installed = new HashMap<>();

    /**
     * @param changed whether settings of a running instance changed (not: its files were put back)
     * @param entryWritten whether the daemon must read its configuration to see the entry
     * @param oldServers the servers that ran before the files were written
     * @param previousLauncher the launcher the entry named before
     * @param version the instance whose files these are
     */
    private record Installed(ServiceInstance version, boolean changed, boolean entryWritten, List<ProcessHandle> oldServers, Optional<Path> previousLauncher) {}

    SuperServerSession(String target, String daemonName, Path pidFile) {
        this.target = target;
        this.daemonName = daemonName;
        this.pidFile = pidFile;
    }

    /** The module's pure rendering: the entry, then the launcher. */
    abstract Rendering render(ServiceInstance instance);

    /** The name of the entry's {@link RenderedFile}. */
    abstract String entryName(ServiceInstance instance);

    /** Where the entry lives, for messages: {@code its line in /etc/inetd.conf}. */
    abstract String describeEntry(ServiceInstance instance);

    /** The instance's entry as it is on disk now. */
    abstract Optional<String> readEntry(ServiceInstance instance) throws IOException, ActivationException;

    /** Writes the entry atomically; returns whether anything changed. */
    abstract boolean writeEntry(ServiceInstance instance, String content) throws IOException, ActivationException;

    /** Removes the entry atomically; returns whether there was one. */
    abstract boolean removeEntry(ServiceInstance instance) throws IOException, ActivationException;

    /** The server program an entry on disk names. */
    abstract Optional<String> serverOf(String entry);

    @Override
    public void install(List<ServiceInstance> instances) throws ActivationException {
        for (ServiceInstance instance : instances) {
            Rendering rendering = rendering(instance);
            requireProgram(instance);
            installed.put(instance.id(), writeFiles(instance, rendering, Daemon.find(daemonName, pidFile, instance.id())));
        }
    }

    @Override
    public void activate(ServiceInstance instance) throws ActivationException {
        Rendering rendering = rendering(instance);
        requireProgram(instance);
        Daemon daemon = Daemon.require(daemonName, pidFile, instance.id());
        Installed done = installed.remove(instance.id());
        Installed install = done != null && done.version().equals(instance) ? done : writeFiles(instance, rendering, Optional.of(daemon));
        boolean accept = instance.onDemand().orElseThrow().accept();
        if (install.changed() && !accept) {
            // The running server has the old settings. Connections wait in the backlog of the socket the
            // daemon keeps, and the next one starts the new launcher: none is refused.
            Daemon.stop(install.oldServers());
        }
        reloadIfPending(daemon, instance.id());
        Optional<Path> oldLauncher = install.previousLauncher().filter(p -> !p.equals(Launcher.path(instance)));
        if (install.changed() && !accept && oldLauncher.isPresent()) {
            // A connection that came before the daemon read the new entry may have started the old launcher again.
            sleep(RELOAD_SETTLE);
            Daemon.stop(daemon.servers(List.of(oldLauncher.get())));
        }
        verifyListening(instance, daemon, install.entryWritten());
        if (instance.readiness().verifyStart()) {
            verifyStart(instance, daemon);
        }
    }

    /**
     * {@code verify = "start"}: a connection starts the new version once, and it must pass its health
     * check (which makes that connection), or else take the connection waiting for it.
     */
    private void verifyStart(ServiceInstance instance, Daemon daemon) throws ActivationException {
        ReadinessWait.Liveness daemonRuns = () -> ProcessHandle.of(daemon.pid()).map(ProcessHandle::isAlive).orElse(false)
                ? Optional.empty() : Optional.of(daemon + " exited");
        try {
            if (instance.readiness().health().isPresent()) {
                ReadinessWait.awaitHealthy(instance, daemonRuns);
            } else {
                ListenerHandover.awaitTaken(instance, daemonRuns);
            }
        } catch (ActivationException e) {
            throw new ActivationException(instance.id(), "verify = \"start\": " + e.reason(), logTail(instance), e);
        }
    }

    @Override
    public void deactivate(ServiceInstance instance) throws ActivationException {
        installed.remove(instance.id());
        Optional<Daemon> daemon = Daemon.find(daemonName, pidFile, instance.id());
        Optional<ListenAddress.Inet> listener = validListener(instance);
        Set<Path> launchers;
        try {
            Optional<String> entry = readEntry(instance);
            launchers = launchers(instance, entry.flatMap(this::serverOf).map(Path::of));
            boolean removed = removeEntry(instance);
            // An entry removed by hand without a reload leaves the daemon listening: it must read its configuration too.
            boolean stale = daemon.isPresent() && listener.isPresent() && !listening(daemon.get(), listener.get()).isEmpty();
            if (daemon.isPresent() && (removed || reloadPending || stale)) {
                daemon.get().reload(instance.id());
                reloadPending = false;
            }
            // After the reload, so that the daemon starts no new one; a wait server holds the socket until it goes.
            daemon.ifPresent(d -> Daemon.stop(d.servers(launchers)));
            AtomicFiles.delete(Launcher.path(instance));
            try {
                Files.deleteIfExists(instance.instanceDirectory());
            } catch (DirectoryNotEmptyException othersLeftThere) {
                // Not beckon's to remove.
            }
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot remove " + describeEntry(instance) + " or its launcher: " + e, e);
        }
        if (daemon.isPresent() && listener.isPresent()) {
            if (!awaitClosed(daemon.get(), listener.get())) {
                throw new ActivationException(instance.id(), daemon.get() + " still listens on " + listener.get() + " "
                        + LISTEN_LIMIT.toSeconds() + " s after its entry was removed and it was told to reload");
            }
            // The daemon has now read its configuration; a connection that came before may have started one more server.
            Daemon.stop(daemon.get().servers(launchers));
        }
    }

    @Override
    public InstanceStatus query(ServiceInstance instance) throws ActivationException {
        InstanceStatus status = observe(instance);
        return status.activity() == InstanceStatus.Activity.FAILED ? status.withLog(logTail(instance)) : status;
    }

    /**
     * The instance's log file, for {@code beckon logs}: its last lines, or those after a byte offset of an
     * earlier read. A log rotated since (shorter than the offset) is read from its beginning.
     */
    @Override
    public InstanceLog log(ServiceInstance instance, int lines, Optional<String> after) throws ActivationException {
        return LogFiles.read(instance, SuperServerInstances.logFile(instance), lines, after);
    }

    private InstanceStatus observe(ServiceInstance instance) throws ActivationException {
        Rendering rendering = rendering(instance);
        List<String> drift = new ArrayList<>();
        Optional<String> entry;
        Optional<String> script;
        try {
            entry = readEntry(instance);
            script = AtomicFiles.read(Launcher.path(instance));
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read " + describeEntry(instance) + " or its launcher: " + e, e);
        }
        int present = 0;
        String entryContent = rendering.file(entryName(instance)).orElseThrow().content();
        if (entry.isEmpty()) {
            drift.add(describeEntry(instance) + " is missing");
        } else {
            present++;
            if (!entry.get().equals(entryContent)) {
                drift.add(describeEntry(instance) + " differs from what beckon wrote");
            }
        }
        Path launcher = Launcher.path(instance);
        if (script.isEmpty()) {
            drift.add("its launcher " + launcher + " is missing");
        } else {
            present++;
            if (!script.get().equals(rendering.file(Launcher.FILE_NAME).orElseThrow().content())) {
                drift.add("its launcher " + launcher + " differs from what beckon wrote");
            }
        }
        InstanceStatus.Presence presence = present == 2 ? InstanceStatus.Presence.INSTALLED
                : present == 1 ? InstanceStatus.Presence.PARTIAL : InstanceStatus.Presence.MISSING;
        return ReadinessWait.withHealth(instance, activity(instance, entry, presence, drift));
    }

    private InstanceStatus activity(ServiceInstance instance, Optional<String> entry, InstanceStatus.Presence presence, List<String> drift)
            throws ActivationException {
        Optional<Daemon> daemon = Daemon.find(daemonName, pidFile, instance.id());
        if (daemon.isEmpty()) {
            return new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, daemonName + " is not running (pid file " + pidFile + ")");
        }
        Set<Path> launchers = launchers(instance, entry.flatMap(this::serverOf).map(Path::of));
        ListenAddress.Inet listener = SuperServerInstances.listener(instance, daemonName);
        // A wait server takes the queued connections itself. One that exits without taking them is started
        // again at once for the same connections: servers come and go while the queue stays. Seeing one run
        // at the moment of the query does not tell that apart from a healthy server, so watch for a moment.
        boolean serverAccepts = !instance.onDemand().orElseThrow().accept();
        Set<Long> serversSeen = new TreeSet<>();
        long deadline = System.nanoTime() + BACKLOG_GRACE.toNanos();
        while (true) {
            List<ProcessHandle> servers = daemon.get().servers(launchers);
            servers.forEach(server -> serversSeen.add(server.pid()));
            int queued = serverAccepts && !servers.isEmpty()
                    ? listening(daemon.get(), listener).stream().mapToInt(TcpListeners.Listener::backlog).sum()
                    : 0;
            if (!servers.isEmpty() && queued == 0) {
                return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, "server " + pids(servers) + " runs");
            }
            if (!servers.isEmpty()) {
                if (System.nanoTime() <= deadline) {
                    sleep(POLL);
                    continue;
                }
                if (serversSeen.size() < 2) {
                    // One server, still starting or busy: the queue is its to take.
                    return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, "server " + pids(servers) + " runs");
                }
                return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift, queued + " connection(s) wait on " + listener
                        + " while " + serversSeen.size() + " servers started and exited without taking them in "
                        + BACKLOG_GRACE.toMillis() + " ms: its server exits without serving" + logEnd(instance));
            }
            List<TcpListeners.Listener> listening = listening(daemon.get(), listener);
            if (listening.isEmpty()) {
                return entry.isEmpty()
                        ? new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, daemon.get() + " does not listen on " + listener)
                        : new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift, daemon.get() + " does not listen on " + listener
                                + " although " + describeEntry(instance) + " is there" + logEnd(instance));
            }
            int waiting = listening.stream().mapToInt(TcpListeners.Listener::backlog).sum();
            if (waiting == 0) {
                return new InstanceStatus(presence, InstanceStatus.Activity.LISTENING, drift,
                        daemon.get() + " listens on " + listener + "; no server runs");
            }
            if (System.nanoTime() > deadline) {
                // A server starts within moments of a connection; connections that stay queued with none
                // running mean the servers exit without taking them.
                return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift, waiting + " connection(s) wait on " + listener
                        + " and no server runs to accept them: its server exits without serving" + logEnd(instance));
            }
            sleep(POLL);
        }
    }

    @Override
    public void flush() throws ActivationException {
        if (reloadPending) {
            reloadIfPending(Daemon.require(daemonName, pidFile, target), target);
        }
    }

    // ---- files ---------------------------------------------------------------------------------

    private Installed writeFiles(ServiceInstance instance, Rendering rendering, Optional<Daemon> daemon) throws ActivationException {
        RenderedFile entry = rendering.file(entryName(instance)).orElseThrow();
        RenderedFile launcher = rendering.file(Launcher.FILE_NAME).orElseThrow();
        Path launcherPath = Launcher.path(instance);
        try {
            Optional<String> previousEntry = readEntry(instance);
            Optional<Path> previousLauncher = previousEntry.flatMap(this::serverOf).map(Path::of);
            List<ProcessHandle> oldServers = daemon.map(d -> d.servers(launchers(instance, previousLauncher))).orElse(List.of());
            Optional<String> previousScript = AtomicFiles.read(launcherPath);
            SafeDirectories.ensure(SuperServerInstances.logFile(instance).getParent());
            // The launcher first, so that no entry ever names a launcher that is not there.
            boolean launcherWritten = AtomicFiles.write(launcherPath, launcher.content(), Launcher.PERMISSIONS);
            boolean entryWritten = writeEntry(instance, entry.content());
            reloadPending |= entryWritten;
            // Files put back after they were removed by hand are no change of settings: nothing is restarted for them.
            boolean changed = (previousScript.isPresent() && launcherWritten) || (previousEntry.isPresent() && entryWritten);
            return new Installed(instance, changed, entryWritten, oldServers, previousLauncher);
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot write " + describeEntry(instance) + " or its launcher " + launcherPath
                    + ": " + SafeDirectories.describe(e), e);
        }
    }

    private Rendering rendering(ServiceInstance instance) throws ActivationException {
        try {
            return render(instance);
        } catch (IllegalArgumentException e) {
            throw new ActivationException(instance.id(), e.getMessage().startsWith(instance.id() + ": ")
                    ? e.getMessage().substring(instance.id().length() + 2) : e.getMessage());
        }
    }

    /** An on-demand server starts only at the first connection; a program that is not there must fail the activation, not that connection. */
    private void requireProgram(ServiceInstance instance) throws ActivationException {
        Optional<String> problem = SuperServerInstances.programProblem(instance);
        if (problem.isPresent()) {
            throw new ActivationException(instance.id(), problem.get(), logTail(instance), null);
        }
    }

    private static Set<Path> launchers(ServiceInstance instance, Optional<Path> named) {
        Set<Path> launchers = new LinkedHashSet<>();
        launchers.add(Launcher.path(instance));
        named.ifPresent(launchers::add);
        return launchers;
    }

    // ---- the daemon ----------------------------------------------------------------------------

    private void reloadIfPending(Daemon daemon, String who) throws ActivationException {
        if (reloadPending) {
            daemon.reload(who);
            reloadPending = false;
        }
    }

    /**
     * Activated means: the launcher is there and executable, and the daemon itself holds a listening
     * socket on the instance's address (a socket some other program holds does not count).
     *
     * @param entryWritten whether the daemon was just told to read a new entry, so may need a moment
     */
    private void verifyListening(ServiceInstance instance, Daemon daemon, boolean entryWritten) throws ActivationException {
        Path launcher = Launcher.path(instance);
        if (!Files.isRegularFile(launcher) || !Files.isExecutable(launcher)) {
            throw new ActivationException(instance.id(), "its launcher " + launcher + " is not an executable file");
        }
        ListenAddress.Inet listener = SuperServerInstances.listener(instance, daemonName);
        if (awaitListening(instance, daemon, listener, entryWritten ? LISTEN_LIMIT : Duration.ZERO)) {
            return;
        }
        if (!entryWritten) {
            // The entry was already there and the daemon does not serve it: it may never have read it.
            daemon.reload(instance.id());
            if (awaitListening(instance, daemon, listener, LISTEN_LIMIT)) {
                return;
            }
        }
        throw notListening(instance, daemon, listener);
    }

    private boolean awaitListening(ServiceInstance instance, Daemon daemon, ListenAddress.Inet listener, Duration limit)
            throws ActivationException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (!listening(daemon, listener).isEmpty()) {
                return true;
            }
            if (!ProcessHandle.of(daemon.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                throw new ActivationException(instance.id(), daemon + " exited after it was told to reload", logTail(instance), null);
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
    }

    private boolean awaitClosed(Daemon daemon, ListenAddress.Inet listener) throws ActivationException {
        long deadline = System.nanoTime() + LISTEN_LIMIT.toNanos();
        while (!listening(daemon, listener).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
        return true;
    }

    private List<TcpListeners.Listener> listening(Daemon daemon, ListenAddress.Inet listener) throws ActivationException {
        try {
            return TcpListeners.heldBy(TcpListeners.on(listener), daemon.socketInodes());
        } catch (IOException | RuntimeException e) {
            throw new ActivationException(target, "cannot read the listening sockets from /proc/net/tcp: " + e, e);
        }
    }

    private ActivationException notListening(ServiceInstance instance, Daemon daemon, ListenAddress.Inet listener) {
        String holders = "";
        try {
            List<TcpListeners.Listener> taken = TcpListeners.on(listener);
            if (!taken.isEmpty()) {
                holders = "; " + listener + " is taken by another program" + holdersOf(taken);
            }
        } catch (IOException e) {
            holders = "";
        }
        return new ActivationException(instance.id(), daemon + " does not listen on " + listener + " " + LISTEN_LIMIT.toSeconds()
                + " s after reading " + describeEntry(instance) + holders + "; " + daemonName
                + " skips an entry it cannot use (a port in use, an unknown user) and says why in its own log or syslog",
                logTail(instance), null);
    }

    /** Which processes hold these sockets, as {@code (pid 12 nginx)}: found by inode in every process's fds. */
    private static String holdersOf(List<TcpListeners.Listener> sockets) {
        Set<Long> inodes = sockets.stream().map(TcpListeners.Listener::inode).collect(Collectors.toSet());
        Set<String> holders = new TreeSet<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                long pid = Long.parseLong(process.getFileName().toString());
                if (Daemon.socketInodes(pid).stream().anyMatch(inodes::contains)) {
                    String name;
                    try {
                        name = Files.readString(process.resolve("comm")).strip();
                    } catch (IOException gone) {
                        name = "?";
                    }
                    holders.add("pid " + pid + " " + Messages.printable(name));
                }
            }
        } catch (IOException e) {
            return "";
        }
        return holders.isEmpty() ? "" : " (" + String.join(", ", holders) + ")";
    }

    // ---- logs and helpers ----------------------------------------------------------------------

    /** The last lines the instance's servers wrote, oldest first; empty when there is no log. */
    List<String> logTail(ServiceInstance instance) {
        try {
            List<String> lines = Files.readAllLines(SuperServerInstances.logFile(instance));
            return lines.subList(Math.max(0, lines.size() - LOG_LINES), lines.size()).stream().map(Messages::printable).toList();
        } catch (IOException | RuntimeException noLog) {
            return List.of();
        }
    }

    private String logEnd(ServiceInstance instance) {
        List<String> tail = logTail(instance);
        List<String> last = tail.subList(Math.max(0, tail.size() - 3), tail.size());
        return last.isEmpty() ? "" : "; its log " + SuperServerInstances.logFile(instance) + " ends: " + String.join(" | ", last);
    }

    private Optional<ListenAddress.Inet> validListener(ServiceInstance instance) {
        try {
            return Optional.of(SuperServerInstances.listener(instance, daemonName));
        } catch (IllegalArgumentException neverRendered) {
            return Optional.empty();
        }
    }

    private static String pids(List<ProcessHandle> processes) {
        return processes.stream().map(p -> "pid " + p.pid()).collect(Collectors.joining(", "));
    }

    private void sleep(Duration duration) throws ActivationException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(target, "interrupted while waiting for " + daemonName, e);
        }
    }
}
