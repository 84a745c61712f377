package dev.beckon.activation.systemd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The systemd-unit module's work on one manager: unit files written atomically into the manager's
 * unit directory, one {@code Reload} for all of them, jobs started and awaited over D-Bus.
 */
final class SystemdSession implements ModuleSession {
    private static final Set<String> RUNNING_STATES = Set.of("active", "activating", "reloading", "deactivating");
    private static final int LOG_LINES = 20;
    private static final long SETTLE_MILLIS = 500;

    private final String target;
    private final SystemdBus bus;
    private final Path unitDirectory;
    private final String bootTarget;
    private final Optional<Path> journalDirectory;
    private boolean reloadPending;
    /**
     * What {@link #install} found and changed, by instance id, for the {@link #activate} of that version
     * that follows. An install that is undone before its activation is followed by the install of the
     * previous version instead, which replaces it.
     */
    private final Map<String, Installed> installed = new HashMap<>();

    /** The unit files an instance had before this session wrote, and those the session changed. */
    private record InstallResult(Set<String> before, Set<String> changed) {}

    private record Installed(ServiceInstance version, InstallResult result) {}

    /**
     * Services this session stopped while they ran because their sockets had to be replaced: started
     * again once their sockets listen, so that a change, or its undo, leaves them running as it found them.
     */
    private final Set<String> stoppedWhileRunning = new HashSet<>();

    SystemdSession(String target, SystemdBus bus, Path unitDirectory, String bootTarget, Optional<Path> journalDirectory) {
        this.target = target;
        this.bus = bus;
        this.unitDirectory = unitDirectory;
        this.bootTarget = bootTarget;
        this.journalDirectory = journalDirectory;
    }

    Path unitDirectory() {
        return unitDirectory;
    }

    @Override
    public void install(List<ServiceInstance> instances) throws ActivationException {
        for (ServiceInstance instance : instances) {
            installed.put(instance.id(), new Installed(instance, writeUnits(instance, true)));
        }
    }

    @Override
    public void activate(ServiceInstance instance) throws ActivationException {
        Installed done = installed.remove(instance.id());
        InstallResult install;
        if (done != null && done.version().equals(instance)) {
            // What the install left because it ran goes now.
            Set<String> changed = new TreeSet<>(done.result().changed());
            try {
                removeStale(instance, rendering(instance), existingUnits(instance), changed, false);
            } catch (IOException e) {
                throw new ActivationException(instance.id(), "cannot remove its unit files from " + unitDirectory + ": " + e, e);
            } catch (SystemdCallException e) {
                throw failure(instance, UnitNames.of(instance).service(), "systemd refused: " + e.getMessage(), e);
            }
            install = new InstallResult(done.result().before(), changed);
        } else {
            install = writeUnits(instance, false);
        }
        reloadIfPending(instance);
        UnitNames names = UnitNames.of(instance);
        for (String unit : names.files()) {
            if (!isTemplate(unit)) {
                // A template cannot be loaded by itself; its socket's loading checks it.
                checkLoaded(instance, unit);
            }
        }
        checkProgram(instance);
        try {
            if (instance.isOnDemand()) {
                activateOnDemand(instance, names, install);
            } else {
                activateAlwaysOn(instance, names, install);
            }
        } catch (SystemdCallException e) {
            throw failure(instance, names.service(), "systemd refused: " + e.getMessage(), e);
        }
    }

    private void activateOnDemand(ServiceInstance instance, UnitNames names, InstallResult install)
            throws SystemdCallException, ActivationException {
        boolean wasAlwaysOn = install.before().contains(names.service()) && install.before().stream().noneMatch(u -> u.endsWith(".socket"));
        if (wasAlwaysOn) {
            // It bound its listeners itself; they must be free before the sockets bind them.
            stop(instance, names.service());
        }
        if (names.sockets().stream().anyMatch(s -> install.changed().contains(s.unit()))) {
            // The running service holds the old listeners; a socket restarted on the same address could not bind.
            Set<String> units = new TreeSet<>(install.before());
            units.addAll(names.files());
            stopServices(instance, units);
        }
        for (UnitNames.Socket socket : names.sockets()) {
            String state = bus.unitProperty(socket.unit(), "ActiveState");
            if (!state.equals("active")) {
                resetIfFailed(socket.unit(), state);
                expectDone(instance, socket.unit(), "start", bus.runJob(() -> bus.manager().StartUnit(socket.unit(), "replace")));
            } else if (install.changed().contains(socket.unit())) {
                // Only a change to the socket itself restarts it; queued connections are lost then, so never otherwise.
                expectDone(instance, socket.unit(), "restart", bus.runJob(() -> bus.manager().RestartUnit(socket.unit(), "replace")));
            }
        }
        if (install.changed().contains(names.service()) && !isTemplate(names.service())) {
            String state = bus.unitProperty(names.service(), "ActiveState");
            if (RUNNING_STATES.contains(state)) {
                // The sockets keep listening meanwhile: new connections wait in the backlog, none is refused.
                expectDone(instance, names.service(), "restart",
                        bus.runJob(() -> bus.manager().TryRestartUnit(names.service(), "replace")));
            } else if (state.equals("failed")) {
                bus.run(() -> bus.manager().ResetFailedUnit(names.service()));
            }
        }
        for (UnitNames.Socket socket : names.sockets()) {
            String state = bus.unitProperty(socket.unit(), "ActiveState");
            if (!state.equals("active")) {
                throw failure(instance, socket.unit(), socket.unit() + " is " + state + " after starting it ("
                        + bus.unitProperty(socket.unit(), "SubState") + ")", null);
            }
        }
        if (stoppedWhileRunning.remove(names.service())
                && !RUNNING_STATES.contains(bus.unitProperty(names.service(), "ActiveState"))) {
            // Started by hand, it gets its sockets as it would from a connection.
            expectDone(instance, names.service(), "start", bus.runJob(() -> bus.manager().StartUnit(names.service(), "replace")));
        }
    }

    private void activateAlwaysOn(ServiceInstance instance, UnitNames names, InstallResult install)
            throws SystemdCallException, ActivationException {
        String service = names.service();
        String state = bus.unitProperty(service, "ActiveState");
        if (!RUNNING_STATES.contains(state)) {
            resetIfFailed(service, state);
            expectDone(instance, service, "start", bus.runJob(() -> bus.manager().StartUnit(service, "replace")));
        } else if (install.changed().contains(service)) {
            expectDone(instance, service, "restart", bus.runJob(() -> bus.manager().RestartUnit(service, "replace")));
        }
        awaitSettled(instance, service);
    }

    /**
     * Type=exec proves the program started; a service that dies at once (bad arguments, missing
     * configuration) is a failed activation too. It must stay active for {@link #SETTLE_MILLIS}
     * since it entered that state; one that has been up longer costs no wait.
     */
    private void awaitSettled(ServiceInstance instance, String service) throws SystemdCallException, ActivationException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
        while (true) {
            String state = bus.unitProperty(service, "ActiveState");
            String subState = bus.unitProperty(service, "SubState");
            if (!state.equals("active") || !subState.equals("running")) {
                String result = serviceProperty(service, "Result");
                throw failure(instance, service, service + " stopped right after it started: " + state + " (" + subState + ")"
                        + (result.isEmpty() || result.equals("success") ? "" : ", result: " + result), null);
            }
            if (System.nanoTime() > deadline) {
                return;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(instance.id(), "interrupted while checking that it runs", e);
            }
        }
    }

    @Override
    public void deactivate(ServiceInstance instance) throws ActivationException {
        UnitNames names = UnitNames.of(instance);
        stoppedWhileRunning.remove(names.service());
        try {
            installed.remove(instance.id());
            Set<String> present = existingUnits(instance);
            // Sockets first, so that no connection starts the service again while it stops.
            for (String unit : present) {
                if (unit.endsWith(".socket")) {
                    stop(instance, unit);
                }
            }
            stop(instance, names.service());
            for (String unit : present) {
                removeUnit(unit);
                if (!isTemplate(unit) && !bus.unitProperty(unit, "LoadState").equals("not-found")) {
                    unlessNotLoaded(() -> bus.run(() -> bus.manager().ResetFailedUnit(unit)));
                }
            }
        } catch (SystemdCallException e) {
            throw failure(instance, names.service(), "systemd refused: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot remove its unit files from " + unitDirectory + ": " + e, e);
        }
    }

    @Override
    public InstanceStatus query(ServiceInstance instance) throws ActivationException {
        Rendering rendering = SystemdUnitRenderer.render(instance);
        UnitNames names = UnitNames.of(instance);
        List<String> drift = new ArrayList<>();
        int present = 0;
        try {
            for (RenderedFile file : rendering.files()) {
                Optional<String> onDisk = AtomicFiles.read(unitDirectory.resolve(file.name()));
                if (onDisk.isEmpty()) {
                    drift.add(file.name() + " is missing");
                    continue;
                }
                present++;
                if (!onDisk.get().equals(file.content())) {
                    drift.add(file.name() + " differs from what beckon wrote");
                } else if (!isTemplate(file.name()) && Boolean.parseBoolean(bus.unitProperty(file.name(), "NeedDaemonReload"))) {
                    drift.add(file.name() + " changed on disk since systemd last loaded it");
                }
            }
            for (String extra : existingUnits(instance)) {
                if (rendering.file(extra).isEmpty()) {
                    drift.add(extra + " is there but beckon would not write it");
                }
            }
            InstanceStatus.Presence presence = present == rendering.files().size() ? InstanceStatus.Presence.INSTALLED
                    : present == 0 ? InstanceStatus.Presence.MISSING : InstanceStatus.Presence.PARTIAL;
            return activity(instance, names, presence, drift);
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read its unit files in " + unitDirectory + ": " + e, e);
        } catch (SystemdCallException e) {
            throw new ActivationException(instance.id(), "cannot ask systemd about it: " + e.getMessage(), e);
        }
    }

    private InstanceStatus activity(ServiceInstance instance, UnitNames names, InstanceStatus.Presence presence, List<String> drift)
            throws SystemdCallException {
        boolean template = isTemplate(names.service());
        String serviceState = template ? (runningTemplateInstances(names.service()).isEmpty() ? "inactive" : "active")
                : bus.unitProperty(names.service(), "ActiveState");
        if (serviceState.equals("failed")) {
            return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift,
                    names.service() + " failed: " + serviceProperty(names.service(), "Result"));
        }
        if (RUNNING_STATES.contains(serviceState)) {
            return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, names.service() + " is " + serviceState);
        }
        if (!instance.isOnDemand()) {
            return new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, names.service() + " is " + serviceState);
        }
        for (UnitNames.Socket socket : names.sockets()) {
            String state = bus.unitProperty(socket.unit(), "ActiveState");
            if (state.equals("failed")) {
                return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift,
                        socket.unit() + " failed: " + String.valueOf(bus.property(socket.unit(), "org.freedesktop.systemd1.Socket", "Result")));
            }
            if (!state.equals("active")) {
                return new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, socket.unit() + " is " + state);
            }
        }
        return new InstanceStatus(presence, InstanceStatus.Activity.LISTENING, drift, "no process runs");
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
            Set<String> before = existingUnits(instance);
            Set<String> changed = new TreeSet<>();
            removeStale(instance, rendering, before, changed, installOnly);
            boolean written = !changed.isEmpty();
            for (RenderedFile file : rendering.files()) {
                Path path = unitDirectory.resolve(file.name());
                boolean existed = Files.exists(path);
                if (AtomicFiles.write(path, file.content(), AtomicFiles.READABLE)) {
                    written = true;
                    // A unit put back after it was removed by hand is no change of settings: what systemd
                    // runs came from the same rendering, so it is not restarted for it.
                    if (existed) {
                        changed.add(file.name());
                    }
                }
                written |= !enable(file).isEmpty();
            }
            if (written) {
                reloadPending = true;
            }
            return new InstallResult(before, changed);
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot write its unit files into " + unitDirectory + ": "
                    + dev.beckon.activation.SafeDirectories.describe(e), e);
        } catch (SystemdCallException e) {
            throw failure(instance, UnitNames.of(instance).service(), "systemd refused: " + e.getMessage(), e);
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
            stopServices(instance, present);
        }
        for (String stale : present) {
            if (rendering.file(stale).isEmpty()) {
                boolean runs = isTemplate(stale) ? !runningTemplateInstances(stale).isEmpty()
                        : RUNNING_STATES.contains(bus.unitProperty(stale, "ActiveState"));
                if (installOnly && runs) {
                    continue;
                }
                // Stopped before its file goes, so that nothing of it is left running.
                stop(instance, stale);
                if (!isTemplate(stale)) {
                    // A socket that failed to bind would stay listed as failed after its file is gone.
                    resetIfFailed(stale, bus.unitProperty(stale, "ActiveState"));
                }
                removeUnit(stale);
                changed.add(stale);
            }
        }
    }

    /**
     * Makes a unit come back after a reboot: the link {@code sockets.target.wants/X.socket} (or the
     * boot target's, for an always-on service) that {@code systemctl enable} would make.
     *
     * @return the link when it was made (or, for a unit no longer wanted, removed): whether a reload is due
     */
    private Set<String> enable(RenderedFile file) throws IOException {
        Optional<String> wantedBy = wantedBy(file);
        if (wantedBy.isEmpty()) {
            // A link left from settings that wanted it (an always-on version of an on-demand service) goes.
            return removeWantsLinks(file.name()) ? Set.of(file.name()) : Set.of();
        }
        Path wants = unitDirectory.resolve(wantedBy.get() + ".wants");
        Path link = wants.resolve(file.name());
        Path unit = unitDirectory.resolve(file.name());
        if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(unit)) {
            return Set.of();
        }
        dev.beckon.activation.SafeDirectories.ensure(wants);
        Path temporary = wants.resolve("." + file.name() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createSymbolicLink(temporary, unit);
        Files.move(temporary, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return Set.of(wantedBy.get() + ".wants/" + file.name());
    }

    private Optional<String> wantedBy(RenderedFile file) {
        for (String line : file.content().split("\n")) {
            if (line.startsWith("WantedBy=")) {
                return Optional.of(line.substring("WantedBy=".length()));
            }
        }
        return Optional.empty();
    }

    private void removeUnit(String unit) throws IOException {
        removeWantsLinks(unit);
        if (AtomicFiles.delete(unitDirectory.resolve(unit))) {
            reloadPending = true;
        }
    }

    /** Removes the links that make a unit wanted at boot; returns whether there was one. */
    private boolean removeWantsLinks(String unit) throws IOException {
        boolean removed = false;
        for (String wants : List.of("sockets.target.wants", bootTarget + ".wants")) {
            Path link = unitDirectory.resolve(wants).resolve(unit);
            if (Files.isSymbolicLink(link)) {
                AtomicFiles.delete(link);
                removed = true;
                // enable() made the directory for the link if it was not there; what is left empty goes with it.
                try {
                    Files.deleteIfExists(link.getParent());
                } catch (java.nio.file.DirectoryNotEmptyException othersWanted) {
                    // Other units are wanted there too.
                }
            }
        }
        return removed;
    }

    /** The unit files of this instance that are in the unit directory now, whatever their settings. */
    private Set<String> existingUnits(ServiceInstance instance) throws IOException {
        String base = "beckon-" + instance.profile() + "-" + instance.service();
        Set<String> found = new TreeSet<>();
        if (!Files.isDirectory(unitDirectory)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(unitDirectory, base + "*")) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean ours = name.equals(base + ".service") || name.equals(base + "@.service") || name.equals(base + ".socket")
                        || (name.startsWith(base + "_") && name.endsWith(".socket"));
                if (ours && Files.isRegularFile(entry)) {
                    found.add(name);
                }
            }
        }
        return found;
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
                        + loadError(bus.property(unit, "org.freedesktop.systemd1.Unit", "LoadError")), logTail(unit), null);
            }
        } catch (SystemdCallException e) {
            throw new ActivationException(instance.id(), "cannot load " + unit + ": " + e.getMessage(), e);
        }
    }

    /**
     * The text of a unit's {@code LoadError}, a D-Bus struct of an error name and a message: the message,
     * or the name when systemd gave none.
     */
    static String loadError(Object error) {
        Object[] fields = error instanceof Object[] array ? array
                : error instanceof org.freedesktop.dbus.Struct struct ? struct.getParameters() : new Object[] {error};
        List<String> parts = java.util.Arrays.stream(fields).map(String::valueOf).filter(f -> !f.isEmpty()).toList();
        String text = parts.isEmpty() ? "no reason given" : parts.get(parts.size() - 1);
        return Messages.printable(text);
    }

    /**
     * An on-demand service runs only at the first connection; a program that is not there must fail
     * the activation, not that connection.
     */
    private void checkProgram(ServiceInstance instance) throws ActivationException {
        String program = instance.exec().get(0);
        List<Path> candidates = new ArrayList<>();
        if (program.contains("/")) {
            candidates.add(Path.of(program));
        } else {
            String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            for (String directory : path.split(":")) {
                if (!directory.isEmpty()) {
                    candidates.add(Path.of(directory, program));
                }
            }
        }
        if (candidates.stream().noneMatch(p -> Files.isRegularFile(p) && Files.isExecutable(p))) {
            throw new ActivationException(instance.id(), "its program " + Messages.printable(program) + " is not an executable file"
                    + (program.contains("/") ? "" : " on the PATH") + "; the service could never start");
        }
    }

    private void stop(ServiceInstance instance, String unit) throws SystemdCallException, ActivationException {
        if (isTemplate(unit)) {
            for (String running : runningTemplateInstances(unit)) {
                stop(instance, running);
            }
            return;
        }
        String state = bus.unitProperty(unit, "ActiveState");
        if (RUNNING_STATES.contains(state)) {
            // A unit that stopped and was unloaded since its state was read is stopped: what stop wants.
            unlessNotLoaded(() -> expectDone(instance, unit, "stop", bus.runJob(() -> bus.manager().StopUnit(unit, "replace"))));
        }
    }

    private interface SystemdCall {
        void run() throws SystemdCallException, ActivationException;
    }

    /** Runs a call about one unit for which "not loaded" means there is nothing to do; the call's other errors count. */
    private static void unlessNotLoaded(SystemdCall call) throws SystemdCallException, ActivationException {
        try {
            call.run();
        } catch (SystemdCallException e) {
            if (!String.valueOf(e.getMessage()).contains("not loaded")) {
                throw e;
            }
        }
    }

    private void resetIfFailed(String unit, String state) throws SystemdCallException {
        if (state.equals("failed")) {
            bus.run(() -> bus.manager().ResetFailedUnit(unit));
        }
    }

    /** Stops the service units among an instance's units (every running instance of a template). */
    private void stopServices(ServiceInstance instance, Set<String> units) throws SystemdCallException, ActivationException {
        for (String unit : units) {
            if (unit.endsWith(".service")) {
                if (!isTemplate(unit) && RUNNING_STATES.contains(bus.unitProperty(unit, "ActiveState"))) {
                    stoppedWhileRunning.add(unit);
                }
                stop(instance, unit);
            }
        }
    }

    private static boolean isTemplate(String unit) {
        return unit.endsWith("@.service");
    }

    private List<String> runningTemplateInstances(String template) throws SystemdCallException {
        if (!isTemplate(template)) {
            return List.of();
        }
        String pattern = template.replace("@.service", "@*.service");
        return bus.call(() -> bus.manager().ListUnitsByPatterns(List.of(), List.of(pattern))).stream()
                .filter(u -> RUNNING_STATES.contains(u.activeState))
                .map(u -> u.name)
                .toList();
    }

    private void expectDone(ServiceInstance instance, String unit, String action, String result)
            throws SystemdCallException, ActivationException {
        if (result.equals("done")) {
            return;
        }
        String unitResult = serviceProperty(unit, "Result");
        throw failure(instance, unit, action + " of " + unit + " " + result
                + (unitResult.isEmpty() || unitResult.equals("success") ? "" : " (result: " + unitResult + ")"), null);
    }

    /** The {@code Result} of a service or socket unit, or empty for other units. */
    private String serviceProperty(String unit, String property) throws SystemdCallException {
        String iface = unit.endsWith(".socket") ? "org.freedesktop.systemd1.Socket"
                : unit.endsWith(".service") ? "org.freedesktop.systemd1.Service" : null;
        return iface == null ? "" : String.valueOf(bus.property(unit, iface, property));
    }

    private ActivationException failure(ServiceInstance instance, String unit, String message, Throwable cause) {
        List<String> tail = logTail(unit);
        // journald takes the service's output from a stream asynchronously; on this failure path only,
        // give it a moment to arrive rather than report a failure without its reason.
        for (int attempt = 0; attempt < 20 && tail.stream().noneMatch(l -> !l.contains(" systemd[")); attempt++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            tail = logTail(unit);
        }
        if (unit.endsWith(".socket") || tail.isEmpty()) {
            UnitNames names = UnitNames.of(instance);
            Set<String> lines = new LinkedHashSet<>(tail);
            lines.addAll(logTail(names.service()));
            tail = List.copyOf(lines);
        }
        return new ActivationException(instance.id(), message, tail, cause);
    }

    /**
     * The last lines logged by or about a unit, read with journalctl (the journal has no D-Bus
     * interface); empty when there is no journal to read.
     */
    List<String> logTail(String unit) {
        List<String> command = new ArrayList<>(List.of("journalctl", "--no-pager", "--quiet", "-o", "short-iso", "-n",
                String.valueOf(LOG_LINES)));
        journalDirectory.ifPresent(d -> command.add("--directory=" + d));
        command.addAll(List.of("_SYSTEMD_UNIT=" + unit, "+", "UNIT=" + unit, "+", "_SYSTEMD_USER_UNIT=" + unit, "+", "USER_UNIT=" + unit));
        try {
            Process journalctl = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            String output = new String(journalctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!journalctl.waitFor(10, TimeUnit.SECONDS) || journalctl.exitValue() != 0) {
                journalctl.destroyForcibly();
                return List.of();
            }
            return output.lines().filter(l -> !l.startsWith("-- ")).toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
