package dev.beckon.activation.systemd;

import static dev.beckon.activation.systemd.UnitNames.isTemplate;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ListenerHandover;
import dev.beckon.activation.OwnPortsReadiness;
import dev.beckon.activation.ReadinessWait;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The jobs that bring an instance's loaded units to run as its settings say, over D-Bus: started,
 * restarted only for a change, stopped, and failed units (a crashed service, a socket past its
 * trigger limit) reset so that they work again. Writes no files.
 */
final class UnitActivation {
    static final Set<String> RUNNING_STATES = Set.of("active", "activating", "reloading", "deactivating");
    /**
     * How long a service that declares no readiness (neither {@code notify} nor a health check) must stay
     * running after its start job: nothing else tells a program that exits at once from one that serves.
     */
    private static final Duration UNSIGNALLED_SETTLE = Duration.ofMillis(500);

    /** The unit files an instance had before this session wrote, and those the session changed. */
    record InstallResult(Set<String> before, Set<String> changed) {}

    private final SystemdBus bus;
    private final UnitFailureReport report;
    /**
     * Services this session stopped while they ran because their sockets had to be replaced: started
     * again once their sockets listen, so that a change, or its undo, leaves them running as it found them.
     */
    private final Set<String> stoppedWhileRunning = new HashSet<>();

    UnitActivation(SystemdBus bus, UnitFailureReport report) {
        this.bus = bus;
        this.report = report;
    }

    /** An instance that goes is not started again for having been stopped earlier in this session. */
    void forgetStopped(String service) {
        stoppedWhileRunning.remove(service);
    }

    void activateOnDemand(ServiceInstance instance, UnitNames names, InstallResult install)
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
        if (!isTemplate(names.service())) {
            // A service that failed (crashed, start-limit-hit) is reset with its start counter, so the repaired
            // socket does not fail again at its next connection.
            resetIfFailed(names.service(), bus.unitProperty(names.service(), "ActiveState"));
        }
        for (UnitNames.Socket socket : names.sockets()) {
            String state = bus.unitProperty(socket.unit(), "ActiveState");
            if (state.equals("failed") && serviceProperty(socket.unit(), "Result").equals("trigger-limit-hit")) {
                // ResetFailedUnit leaves the socket's trigger count as it was, so its next connection would fail
                // it again; a reload loads the socket afresh, count and all.
                bus.run(() -> bus.manager().Reload());
            }
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
                throw report.failure(instance, socket.unit(), socket.unit() + " is " + state + " after starting it ("
                        + bus.unitProperty(socket.unit(), "SubState") + ")", null);
            }
        }
        if (stoppedWhileRunning.remove(names.service())
                && !RUNNING_STATES.contains(bus.unitProperty(names.service(), "ActiveState"))) {
            // Started by hand, it gets its sockets as it would from a connection.
            expectDone(instance, names.service(), "start", bus.runJob(() -> bus.manager().StartUnit(names.service(), "replace")));
        }
    }

    /**
     * An always-on service whose sockets the manager holds: its sockets as on demand (left listening
     * unless they themselves changed; a changed service restarted while they queue its connections),
     * then the service started with them if it does not run yet.
     */
    void activateWithHeldSockets(ServiceInstance instance, UnitNames names, InstallResult install)
            throws SystemdCallException, ActivationException {
        activateOnDemand(instance, names, install);
        String service = names.service();
        String state = bus.unitProperty(service, "ActiveState");
        if (!RUNNING_STATES.contains(state)) {
            resetIfFailed(service, state);
            expectDone(instance, service, "start", bus.runJob(() -> bus.manager().StartUnit(service, "replace")));
        }
        if (instance.readiness().notifies() || instance.readiness().health().isPresent()) {
            awaitReady(instance, service);
        } else {
            // Its own signal: it has taken the sockets the manager holds and answers on them.
            try {
                ListenerHandover.awaitTaken(instance, () -> stoppedState(instance, service));
            } catch (ActivationException e) {
                throw report.failure(instance, service, e.reason(), null);
            }
        }
    }

    void activateAlwaysOn(ServiceInstance instance, UnitNames names, InstallResult install)
            throws SystemdCallException, ActivationException {
        String service = names.service();
        String state = bus.unitProperty(service, "ActiveState");
        if (!RUNNING_STATES.contains(state)) {
            resetIfFailed(service, state);
            expectDone(instance, service, "start", bus.runJob(() -> bus.manager().StartUnit(service, "replace")));
        } else if (install.changed().contains(service)) {
            expectDone(instance, service, "restart", bus.runJob(() -> bus.manager().RestartUnit(service, "replace")));
        }
        awaitReady(instance, service);
    }

    /**
     * An activation is done when the service is ready. A service that notifies has sent READY=1 once its
     * start job is done (Type=notify); Type=exec proves only that the program started. It must still run
     * then, and pass its declared health check, if it has one, within its ready timeout. One that binds
     * its own ports and declares no other signal is ready once its processes listen on every port it
     * declares ({@link OwnPortsReadiness}). Only one that declares none of these (no port either) is
     * left with a timer: it must stay running for {@link #UNSIGNALLED_SETTLE}.
     */
    private void awaitReady(ServiceInstance instance, String service) throws SystemdCallException, ActivationException {
        if (OwnPortsReadiness.applies(instance)) {
            try {
                OwnPortsReadiness.await(instance, () -> mainPid(instance, service), () -> stoppedState(instance, service));
            } catch (ActivationException e) {
                throw report.failure(instance, service, e.reason(), null);
            }
            return;
        }
        boolean signals = instance.readiness().notifies() || instance.readiness().health().isPresent();
        // Without a signal of its own, all there is to see is that the process stays up: for a moment.
        long deadline = System.nanoTime() + (signals ? 0 : UNSIGNALLED_SETTLE.toNanos());
        while (true) {
            Optional<String> stopped = stoppedState(service);
            if (stopped.isPresent()) {
                throw report.failure(instance, service, service + " stopped right after it started: " + stopped.get(), null);
            }
            if (System.nanoTime() >= deadline) {
                break;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(instance.id(), "interrupted while checking that it runs", e);
            }
        }
        try {
            ReadinessWait.awaitHealthy(instance, () -> stoppedState(instance, service));
        } catch (ActivationException e) {
            throw report.failure(instance, service, e.reason(), null);
        }
    }

    private long mainPid(ServiceInstance instance, String service) throws ActivationException {
        try {
            return ((Number) bus.property(service, "org.freedesktop.systemd1.Service", "MainPID")).longValue();
        } catch (SystemdCallException e) {
            throw new ActivationException(instance.id(), "cannot ask systemd about " + service + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts an on-demand service once and checks it ({@code verify = "start"}): its declared health check,
     * else that it takes a connection on its first listener. One process per connection (a template) is
     * started by the health check's own connection.
     */
    void verifyStart(ServiceInstance instance, UnitNames names) throws SystemdCallException, ActivationException {
        String service = names.service();
        if (isTemplate(service)) {
            ReadinessWait.awaitHealthy(instance, () -> Optional.empty());
            return;
        }
        if (!RUNNING_STATES.contains(bus.unitProperty(service, "ActiveState"))) {
            resetIfFailed(service, bus.unitProperty(service, "ActiveState"));
            expectDone(instance, service, "start", bus.runJob(() -> bus.manager().StartUnit(service, "replace")));
        }
        ReadinessWait.Liveness liveness = () -> stoppedState(instance, service);
        try {
            if (instance.readiness().health().isPresent()) {
                ReadinessWait.awaitHealthy(instance, liveness);
            } else {
                ListenerHandover.awaitTaken(instance, liveness);
            }
        } catch (ActivationException e) {
            throw report.failure(instance, service, "verify = \"start\": " + e.reason(), null);
        }
    }

    private Optional<String> stoppedState(ServiceInstance instance, String service) throws ActivationException {
        try {
            return stoppedState(service);
        } catch (SystemdCallException e) {
            throw new ActivationException(instance.id(), "cannot ask systemd about " + service + ": " + e.getMessage(), e);
        }
    }

    /** Empty while the service runs; else its state, sub-state and result. */
    private Optional<String> stoppedState(String service) throws SystemdCallException {
        String state = bus.unitProperty(service, "ActiveState");
        String subState = bus.unitProperty(service, "SubState");
        if (state.equals("active") && subState.equals("running")) {
            return Optional.empty();
        }
        String result = serviceProperty(service, "Result");
        return Optional.of(state + " (" + subState + ")" + (result.isEmpty() || result.equals("success") ? "" : ", result: " + result));
    }

    void stop(ServiceInstance instance, String unit) throws SystemdCallException, ActivationException {
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

    interface SystemdCall {
        void run() throws SystemdCallException, ActivationException;
    }

    /** Runs a call about one unit for which "not loaded" means there is nothing to do; the call's other errors count. */
    static void unlessNotLoaded(SystemdCall call) throws SystemdCallException, ActivationException {
        try {
            call.run();
        } catch (SystemdCallException e) {
            if (!String.valueOf(e.getMessage()).contains("not loaded")) {
                throw e;
            }
        }
    }

    void resetIfFailed(String unit, String state) throws SystemdCallException {
        if (state.equals("failed")) {
            bus.run(() -> bus.manager().ResetFailedUnit(unit));
        }
    }

    /** Stops the service units among an instance's units (every running instance of a template). */
    void stopServices(ServiceInstance instance, Set<String> units) throws SystemdCallException, ActivationException {
        for (String unit : units) {
            if (unit.endsWith(".service")) {
                if (!isTemplate(unit) && RUNNING_STATES.contains(bus.unitProperty(unit, "ActiveState"))) {
                    stoppedWhileRunning.add(unit);
                }
                stop(instance, unit);
            }
        }
    }

    List<String> runningTemplateInstances(String template) throws SystemdCallException {
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
        throw report.failure(instance, unit, action + " of " + unit + " " + result
                + (unitResult.isEmpty() || unitResult.equals("success") ? "" : " (result: " + unitResult + ")"), null);
    }

    /** The {@code Result} of a service or socket unit, or empty for other units. */
    String serviceProperty(String unit, String property) throws SystemdCallException {
        String iface = unit.endsWith(".socket") ? "org.freedesktop.systemd1.Socket"
                : unit.endsWith(".service") ? "org.freedesktop.systemd1.Service" : null;
        return iface == null ? "" : String.valueOf(bus.property(unit, iface, property));
    }
}
