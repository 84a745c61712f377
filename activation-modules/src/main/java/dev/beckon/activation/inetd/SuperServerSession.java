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

    private final String target;
    private final String daemonName;
    private final Path pidFile;
    private final DaemonListeners listeners;
    private final ServerActivity activity;
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
        this.listeners = new DaemonListeners(target, daemonName);
        this.activity = new ServerActivity(daemonName, pidFile, listeners);
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
            // A connection that came before the daemon read the new entry (the reload above waited until
            // it had) may have started the old launcher again.
            Daemon.stop(daemon.servers(List.of(oldLauncher.get())));
        }
        listeners.verifyListening(instance, daemon, install.entryWritten(), describeEntry(instance));
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
            throw new ActivationException(instance.id(), "verify = \"start\": " + e.reason(), SuperServerInstances.logTail(instance), e);
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
            boolean stale = daemon.isPresent() && listener.isPresent() && !listeners.listening(daemon.get(), listener.get()).isEmpty();
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
            if (!listeners.awaitClosed(daemon.get(), listener.get())) {
                throw new ActivationException(instance.id(), daemon.get() + " still listens on " + listener.get() + " "
                        + DaemonListeners.LISTEN_LIMIT.toSeconds() + " s after its entry was removed and it was told to reload");
            }
            // The daemon has now read its configuration; a connection that came before may have started one more server.
            Daemon.stop(daemon.get().servers(launchers));
        }
    }

    @Override
    public InstanceStatus query(ServiceInstance instance) throws ActivationException {
        InstanceStatus status = observe(instance);
        return status.activity() == InstanceStatus.Activity.FAILED ? status.withLog(SuperServerInstances.logTail(instance)) : status;
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
        return ReadinessWait.withHealth(instance, activity.observe(instance, entry,
                launchers(instance, entry.flatMap(this::serverOf).map(Path::of)), describeEntry(instance), presence, drift));
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
            throw new ActivationException(instance.id(), problem.get(), SuperServerInstances.logTail(instance), null);
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

    private Optional<ListenAddress.Inet> validListener(ServiceInstance instance) {
        try {
            return Optional.of(SuperServerInstances.listener(instance, daemonName));
        } catch (IllegalArgumentException neverRendered) {
            return Optional.empty();
        }
    }

}
