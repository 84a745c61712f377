package dev.beckon.activation.systemd;

import static dev.beckon.activation.systemd.UnitNames.isTemplate;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sockets of many new on-demand instances of one session, started as concurrent jobs: their units' states in one
 * {@code ListUnitsByNames}, every {@code StartUnit} sent before any answer is awaited, one wait for all their
 * {@code JobRemoved}, and one listing more once all are done. A deployment of 200 services waited for each job in
 * turn, and asked five properties of each unit by unit after; systemd now runs the jobs back to back, and each
 * activation verifies its instance against that last listing.
 */
final class JointSocketStart {
    private final SystemdBus bus;
    /** The instances started here, with the states of their units as listed once every job was done. */
    private final Map<String, Map<String, SystemdManager.UnitInfo>> listedAfter = new HashMap<>();

    JointSocketStart(SystemdBus bus) {
        this.bus = bus;
    }

    /**
     * Starts the sockets of those of {@code fresh} (installed, loaded, nothing of them there before) whose every unit
     * loaded, whose program is there and whose sockets are all inactive; leaves the others to their activation.
     */
    void start(List<ServiceInstance> fresh) throws SystemdCallException {
        Set<String> units = new TreeSet<>();
        fresh.forEach(instance -> units.addAll(UnitNames.of(instance).files()));
        Map<String, SystemdManager.UnitInfo> states = bus.units(units);
        List<String> sockets = new ArrayList<>();
        List<ServiceInstance> started = new ArrayList<>();
        for (ServiceInstance instance : fresh) {
            UnitNames names = UnitNames.of(instance);
            if (allLoaded(names, states) && ProgramCheck.exists(instance)
                    && names.sockets().stream().allMatch(socket -> "inactive".equals(states.get(socket.unit()).activeState))) {
                names.sockets().forEach(socket -> sockets.add(socket.unit()));
                started.add(instance);
            }
        }
        if (sockets.isEmpty()) {
            return;
        }
        bus.startAll(sockets);
        Set<String> startedUnits = new TreeSet<>();
        started.forEach(instance -> startedUnits.addAll(UnitNames.of(instance).files()));
        Map<String, SystemdManager.UnitInfo> after = bus.units(startedUnits);
        for (ServiceInstance instance : started) {
            Map<String, SystemdManager.UnitInfo> own = new HashMap<>();
            for (String unit : UnitNames.of(instance).files()) {
                if (after.containsKey(unit)) {
                    own.put(unit, after.get(unit));
                }
            }
            listedAfter.put(instance.id(), own);
        }
    }

    /**
     * Whether {@code instance} was started here and its units, as listed once all were started, are what its
     * activation verifies: every one loaded, every socket listening, the service neither running nor failed (no
     * connection had started it yet). Asked once: the answer is forgotten as it is given.
     */
    boolean listening(ServiceInstance instance) {
        Map<String, SystemdManager.UnitInfo> listed = listedAfter.remove(instance.id());
        if (listed == null) {
            return false;
        }
        UnitNames names = UnitNames.of(instance);
        if (!allLoaded(names, listed)) {
            return false;
        }
        for (UnitNames.Socket socket : names.sockets()) {
            if (!"active".equals(listed.get(socket.unit()).activeState)) {
                return false;
            }
        }
        return isTemplate(names.service()) || "inactive".equals(listed.get(names.service()).activeState);
    }

    /** Forgets what was listed of {@code instance}: it is being deactivated. */
    void forget(ServiceInstance instance) {
        listedAfter.remove(instance.id());
    }

    private static boolean allLoaded(UnitNames names, Map<String, SystemdManager.UnitInfo> states) {
        for (String unit : names.files()) {
            // A template cannot be loaded by itself; its socket's loading checks it.
            if (!isTemplate(unit) && (!states.containsKey(unit) || !"loaded".equals(states.get(unit).loadState))) {
                return false;
            }
        }
        return true;
    }
}
