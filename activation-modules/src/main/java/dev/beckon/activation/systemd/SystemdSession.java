package dev.beckon.activation.systemd;

import static dev.beckon.activation.systemd.UnitNames.isTemplate;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.DirectorySyncs;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ReadinessWait;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.UnacceptedConnections;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import dev.beckon.activation.systemd.UnitActivation.InstallResult;
import dev.beckon.models.Durations;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.ContainerDuration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The systemd-unit module's work on one manager: unit files written atomically into the manager's
 * unit directory, one {@code Reload} for all of them, jobs started and awaited over D-Bus. The files
 * on disk are {@link UnitFiles}', the jobs {@link UnitActivation}'s, what a failure reports
 * {@link UnitFailureReport}'s; the session holds the verbs and what one verb leaves for the next.
 */
final class SystemdSession implements ModuleSession {
    private final String target;
    private final SystemdBus bus;
    private final Path unitDirectory;
    private final UnitFiles files;
    private final UnitFailureReport report;
    private final UnitActivation activation;
    private final UnitJournal journal;
    /** How long a connection may stay queued, unaccepted, while the service's process runs (see {@link ContainerDuration#STUCK_AFTER}). */
    private final Duration stuckAfter;
    private boolean reloadPending;
    /** The directory syncs of the {@link #install} under way, taken once at its end; null outside one. */
    private DirectorySyncs installing;
    /**
     * What {@link #install} found and changed, by instance id, for the {@link #activate} of that version
     * that follows. An install that is undone before its activation is followed by the install of the
     * previous version instead, which replaces it.
     */
    private final Map<String, Installed> installed = new HashMap<>();
    /** The instances {@link #startTogether} started, and how their units were once it was done. */
    private final JointSocketStart startedTogether;

    private record Installed(ServiceInstance version, InstallResult result) {}

    SystemdSession(String target, SystemdBus bus, Path unitDirectory, String bootTarget, Optional<Path> journalDirectory,
            Duration stuckAfter) {
        this.target = target;
        this.stuckAfter = stuckAfter;
        this.bus = bus;
        this.unitDirectory = unitDirectory;
        this.files = new UnitFiles(unitDirectory, bootTarget);
        this.report = new UnitFailureReport(bus, journalDirectory);
        this.activation = new UnitActivation(bus, report);
        this.journal = new UnitJournal(journalDirectory);
        this.startedTogether = new JointSocketStart(bus);
    }

    Path unitDirectory() {
        return unitDirectory;
    }

    @Override
    public void install(List<ServiceInstance> instances) throws ActivationException {
        // One sync of the unit directory for the whole batch, before install returns, not one per file.
        DirectorySyncs syncs = new DirectorySyncs();
        installing = syncs;
        ActivationException failure = null;
        try {
            for (ServiceInstance instance : instances) {
                installed.put(instance.id(), new Installed(instance, writeUnits(instance, true)));
            }
        } catch (ActivationException e) {
            failure = e;
        } finally {
            installing = null;
        }
        try {
            syncs.syncAll();
        } catch (IOException e) {
            if (failure == null) {
                throw new ActivationException(target, "cannot sync the unit directory " + unitDirectory + ": "
                        + dev.beckon.activation.SafeDirectories.describe(e), e);
            }
            failure.addSuppressed(e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void activate(ServiceInstance instance) throws ActivationException {
        Installed done = installed.remove(instance.id());
        InstallResult install;
        if (done != null && done.version().equals(instance)) {
            // What the install left because it ran goes now. What is there is known without reading the unit
            // directory again (once per instance, the square of their number): what the install found, less what it
            // removed; the rest it wrote, and this deployment holds the target's lock.
            Set<String> changed = new TreeSet<>(done.result().changed());
            Set<String> left = new TreeSet<>(done.result().before());
            left.removeAll(done.result().changed());
            try {
                removeStale(instance, rendering(instance), left, changed, false);
            } catch (IOException e) {
                throw new ActivationException(instance.id(), "cannot remove its unit files from " + unitDirectory + ": " + e, e);
            } catch (SystemdCallException e) {
                throw report.failure(instance, UnitNames.of(instance).service(), "systemd refused: " + e.getMessage(), e);
            }
            install = new InstallResult(done.result().before(), changed);
        } else {
            install = writeUnits(instance, false);
        }
        reloadIfPending(instance);
        UnitNames names = UnitNames.of(instance);
        if (startedTogether.listening(instance) && done != null && done.version().equals(instance)) {
            ProgramCheck.require(instance);
            if (instance.readiness().verifyStart()) {
                try {
                    activation.verifyStart(instance, names);
                } catch (SystemdCallException e) {
                    throw report.failure(instance, names.service(), "systemd refused: " + e.getMessage(), e);
                }
            }
            return;
        }
        for (String unit : names.files()) {
            if (!isTemplate(unit)) {
                // A template cannot be loaded by itself; its socket's loading checks it.
                checkLoaded(instance, unit);
            }
        }
        ProgramCheck.require(instance);
        try {
            if (instance.isOnDemand()) {
                activation.activateOnDemand(instance, names, install);
                failIfStuck(instance, names, install);
                if (instance.readiness().verifyStart()) {
                    activation.verifyStart(instance, names);
                }
            } else if (instance.holdsSockets()) {
                activation.activateWithHeldSockets(instance, names, install);
            } else {
                activation.activateAlwaysOn(instance, names, install);
            }
        } catch (SystemdCallException e) {
            throw report.failure(instance, names.service(), "systemd refused: " + e.getMessage(), e);
        }
    }

    /**
     * The sockets of new on-demand instances, just installed and nothing of them there before, start as concurrent
     * jobs ({@link JointSocketStart}); each {@link #activate} after verifies its instance against the listing of
     * their units once all were done. What does not start here is left to {@link #activate}, which reports it.
     */
    @Override
    public void startTogether(List<ServiceInstance> instances) throws ActivationException {
        List<ServiceInstance> fresh = new ArrayList<>();
        for (ServiceInstance instance : instances) {
            Installed done = installed.get(instance.id());
            if (instance.isOnDemand() && done != null && done.version().equals(instance) && done.result().before().isEmpty()) {
                fresh.add(instance);
            }
        }
        if (fresh.size() < 2) {
            return;
        }
        reloadIfPending(null);
        try {
            startedTogether.start(fresh);
        } catch (SystemdCallException e) {
            // Each activation asks again, and reports what systemd says then for its own instance.
        }
    }

    @Override
    public void deactivate(ServiceInstance instance) throws ActivationException {
        UnitNames names = UnitNames.of(instance);
        startedTogether.forget(instance);
        activation.forgetStopped(names.service());
        try {
            installed.remove(instance.id());
            Set<String> present = files.existingUnits(instance);
            // Sockets first, so that no connection starts the service again while it stops.
            for (String unit : present) {
                if (unit.endsWith(".socket")) {
                    activation.stop(instance, unit);
                }
            }
            activation.stop(instance, names.service());
            for (String unit : present) {
                removeUnit(unit);
                if (!isTemplate(unit) && !bus.unitProperty(unit, "LoadState").equals("not-found")) {
                    UnitActivation.unlessNotLoaded(() -> bus.run(() -> bus.manager().ResetFailedUnit(unit)));
                }
            }
        } catch (SystemdCallException e) {
            throw report.failure(instance, names.service(), "systemd refused: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot remove its unit files from " + unitDirectory + ": " + e, e);
        }
    }

    @Override
    public InstanceStatus query(ServiceInstance instance) throws ActivationException {
        return queryAll(List.of(instance)).get(instance.id());
    }

    @Override
    public Map<String, InstanceStatus> queryAll(List<ServiceInstance> instances) throws ActivationException {
        return new UnitQuery(bus, unitDirectory, files, report, this::stuck).query(instances);
    }

    /**
     * An activation that changed the units and left the new process running with connections queued unaccepted
     * has provoked a hang: a failure, so that the deployment is undone. Costs one look when nothing is queued.
     */
    private void failIfStuck(ServiceInstance instance, UnitNames names, InstallResult install)
            throws SystemdCallException, ActivationException {
        if (install.changed().isEmpty() || isTemplate(names.service())
                || !UnitActivation.RUNNING_STATES.contains(bus.unitProperty(names.service(), "ActiveState"))) {
            return;
        }
        Optional<String> stuck = stuck(instance, names);
        if (stuck.isPresent()) {
            throw report.failure(instance, names.service(), "stuck: " + stuck.get(), null);
        }
    }

    /**
     * Why an on-demand instance whose process runs is stuck: connections queued on its TCP listeners that stay
     * unaccepted for {@link #stuckAfter}. Waits only while some are queued, and at most that long.
     */
    private Optional<String> stuck(ServiceInstance instance, UnitNames names) throws ActivationException {
        Set<Integer> ports = new TreeSet<>();
        names.sockets().forEach(socket -> {
            if (socket.address() instanceof ListenAddress.Inet inet) {
                ports.add(inet.port());
            }
        });
        if (ports.isEmpty()) {
            return Optional.empty();
        }
        try {
            Set<String> waiting = UnacceptedConnections.stillWaiting(ports, stuckAfter);
            return waiting.isEmpty() ? Optional.empty() : Optional.of(waiting.size() + " connection(s) stayed queued on "
                    + names.sockets().stream().map(s -> s.address().toString()).collect(java.util.stream.Collectors.joining(", "))
                    + " unaccepted for " + Durations.format(stuckAfter) + " while " + names.service() + " runs: it hangs");
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(instance.id(), "interrupted while watching its socket's queue", e);
        }
    }

    @Override
    public InstanceLog log(ServiceInstance instance, int lines, Optional<String> after) throws ActivationException {
        try {
            return journal.read(instance, lines, after);
        } catch (IllegalArgumentException e) {
            throw new ActivationException(instance.id(), e.getMessage());
        }
    }

    @Override
    public void flush() throws ActivationException {
        reloadIfPending(null);
    }

    @Override
    public void close() {
        bus.close();
    }

    // ---- files ---------------------------------------------------------------------------------

    /**
     * Writes an instance's units and removes those of its other settings.
     *
     * @param installOnly for {@link #install}: nothing that runs is stopped, so that installing the
     *     previous version again undoes it; units that run and go are left to {@link #activate}
     */
    private InstallResult writeUnits(ServiceInstance instance, boolean installOnly) throws ActivationException {
        Rendering rendering = rendering(instance);
        try {
            Set<String> before = files.existingUnits(instance);
            Set<String> changed = new TreeSet<>();
            removeStale(instance, rendering, before, changed, installOnly);
            boolean written = !changed.isEmpty();
            for (RenderedFile file : rendering.files()) {
                Path path = unitDirectory.resolve(file.name());
                boolean existed = Files.exists(path);
                if (installing != null ? installing.write(path, file.content(), AtomicFiles.READABLE)
                        : AtomicFiles.write(path, file.content(), AtomicFiles.READABLE)) {
                    written = true;
                    // A unit put back after it was removed by hand is no change of settings: what systemd
                    // runs came from the same rendering, so it is not restarted for it.
                    if (existed) {
                        changed.add(file.name());
                    }
                }
                written |= !files.enable(file).isEmpty();
            }
            if (written) {
                reloadPending = true;
            }
            return new InstallResult(before, changed);
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot write its unit files into " + unitDirectory + ": "
                    + dev.beckon.activation.SafeDirectories.describe(e), e);
        } catch (SystemdCallException e) {
            throw report.failure(instance, UnitNames.of(instance).service(), "systemd refused: " + e.getMessage(), e);
        }
    }

    private static Rendering rendering(ServiceInstance instance) throws ActivationException {
        try {
            return SystemdUnitRenderer.render(instance);
        } catch (IllegalArgumentException e) {
            throw new ActivationException(instance.id(), e.getMessage());
        }
    }

    /**
     * Removes the units an instance has that its rendering does not (switching between on-demand and
     * always-on, or a listener less), adding them to {@code changed}.
     *
     * @param installOnly remove only those that do not run; stop nothing
     */
    private void removeStale(ServiceInstance instance, Rendering rendering, Set<String> present, Set<String> changed,
            boolean installOnly) throws IOException, SystemdCallException, ActivationException {
        if (!installOnly && present.stream().anyMatch(u -> u.endsWith(".socket") && rendering.file(u).isEmpty())) {
            // A running service holds the listeners of the sockets that go; they must be closed
            // before new sockets can bind the same addresses.
            activation.stopServices(instance, present);
        }
        for (String stale : present) {
            if (rendering.file(stale).isEmpty()) {
                boolean runs = isTemplate(stale) ? !activation.runningTemplateInstances(stale).isEmpty()
                        : UnitActivation.RUNNING_STATES.contains(bus.unitProperty(stale, "ActiveState"));
                if (installOnly && runs) {
                    continue;
                }
                // Stopped before its file goes, so that nothing of it is left running.
                activation.stop(instance, stale);
                if (!isTemplate(stale)) {
                    // A socket that failed to bind would stay listed as failed after its file is gone.
                    activation.resetIfFailed(stale, bus.unitProperty(stale, "ActiveState"));
                }
                removeUnit(stale);
                changed.add(stale);
            }
        }
    }

    private void removeUnit(String unit) throws IOException {
        if (files.removeUnit(unit)) {
            reloadPending = true;
        }
    }

    // ---- systemd -------------------------------------------------------------------------------

    private void reloadIfPending(ServiceInstance instance) throws ActivationException {
        if (!reloadPending) {
            return;
        }
        try {
            bus.run(() -> bus.manager().Reload());
            reloadPending = false;
        } catch (SystemdCallException e) {
            throw new ActivationException(instance == null ? target : instance.id(), "daemon reload failed: " + e.getMessage(), e);
        }
    }

    /** A unit systemd could not parse is an error now, not a mystery at the first connection. */
    private void checkLoaded(ServiceInstance instance, String unit) throws ActivationException {
        try {
            String loadState = bus.unitProperty(unit, "LoadState");
            if (!loadState.equals("loaded")) {
                throw new ActivationException(instance.id(), unit + " did not load (" + loadState + "): "
                        + UnitFailureReport.loadError(bus.property(unit, "org.freedesktop.systemd1.Unit", "LoadError")),
                        report.logTail(unit), null);
            }
        } catch (SystemdCallException e) {
            throw new ActivationException(instance.id(), "cannot load " + unit + ": " + e.getMessage(), e);
        }
    }
}
