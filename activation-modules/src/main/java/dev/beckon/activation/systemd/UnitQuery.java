package dev.beckon.activation.systemd;

import static dev.beckon.activation.systemd.UnitNames.isTemplate;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ReadinessWait;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What runs for many instances of one manager, asked in a batch: the unit files are read and compared here, and
 * systemd is asked once for the states of all their units ({@code ListUnitsByNames}), once for the running
 * connections of all templates ({@code ListUnitsByPatterns}) and, in one burst whose answers are awaited together,
 * whether the units whose files match changed on disk since systemd loaded them ({@code NeedDaemonReload}, which no
 * listing carries). A plan of a few hundred instances thus costs a few round trips, not five or six per instance.
 * Only what is amiss (a failed unit's result and log, a running one's limits and queue) is asked unit by unit.
 */
final class UnitQuery {
    /** Why an instance whose process runs is stuck (see {@link SystemdSession}). */
    interface StuckCheck {
        Optional<String> stuck(ServiceInstance instance, UnitNames names) throws ActivationException;
    }

    private final SystemdBus bus;
    private final Path unitDirectory;
    private final UnitFiles files;
    private final UnitFailureReport report;
    private final StuckCheck stuckCheck;

    UnitQuery(SystemdBus bus, Path unitDirectory, UnitFiles files, UnitFailureReport report, StuckCheck stuckCheck) {
        this.bus = bus;
        this.unitDirectory = unitDirectory;
        this.files = files;
        this.report = report;
        this.stuckCheck = stuckCheck;
    }

    /** What the files say of one instance before systemd is asked. */
    private record Looked(ServiceInstance instance, UnitNames names, Rendering rendering, List<String> drift, int present,
            List<String> askReload) {}

    /** The status of each instance, by id, in the order given. */
    Map<String, InstanceStatus> query(List<ServiceInstance> instances) throws ActivationException {
        List<Looked> looked = new ArrayList<>();
        Set<String> units = new LinkedHashSet<>();
        Set<String> templates = new LinkedHashSet<>();
        Set<String> askReload = new LinkedHashSet<>();
        for (ServiceInstance instance : instances) {
            Looked one = look(instance);
            looked.add(one);
            for (String unit : one.names().files()) {
                (isTemplate(unit) ? templates : units).add(unit);
            }
            askReload.addAll(one.askReload());
        }
        if (looked.isEmpty()) {
            return Map.of();
        }
        String asking = instances.get(0).id();
        Map<String, SystemdManager.UnitInfo> states;
        Map<String, Object> needReload;
        Map<String, List<String>> running;
        try {
            states = bus.units(units);
            needReload = bus.unitPropertyOfEach(askReload, "NeedDaemonReload");
            running = bus.runningTemplateInstances(templates);
        } catch (SystemdCallException e) {
            throw new ActivationException(asking, "cannot ask systemd about it: " + e.getMessage(), e);
        }
        UnitFiles.Listing listing;
        try {
            listing = files.listing();
        } catch (IOException e) {
            throw new ActivationException(asking, "cannot read its unit files in " + unitDirectory + ": " + e, e);
        }
        Map<String, InstanceStatus> statuses = new LinkedHashMap<>();
        for (Looked one : looked) {
            ServiceInstance instance = one.instance();
            List<String> drift = new ArrayList<>(one.drift());
            for (String unit : one.askReload()) {
                if (Boolean.parseBoolean(String.valueOf(needReload.get(unit)))) {
                    drift.add(unit + " changed on disk since systemd last loaded it");
                }
            }
            for (String extra : listing.existingUnits(instance)) {
                if (one.rendering().file(extra).isEmpty()) {
                    drift.add(extra + " is there but beckon would not write it");
                }
            }
            InstanceStatus.Presence presence = one.present() == one.rendering().files().size() ? InstanceStatus.Presence.INSTALLED
                    : one.present() == 0 ? InstanceStatus.Presence.MISSING : InstanceStatus.Presence.PARTIAL;
            try {
                statuses.put(instance.id(), ReadinessWait.withHealth(instance,
                        activity(instance, one.names(), presence, drift, states, running)));
            } catch (SystemdCallException e) {
                throw new ActivationException(instance.id(), "cannot ask systemd about it: " + e.getMessage(), e);
            }
        }
        return statuses;
    }

    private Looked look(ServiceInstance instance) throws ActivationException {
        Rendering rendering = SystemdUnitRenderer.render(instance);
        UnitNames names = UnitNames.of(instance);
        List<String> drift = new ArrayList<>();
        List<String> askReload = new ArrayList<>();
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
                } else if (!isTemplate(file.name())) {
                    askReload.add(file.name());
                }
            }
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read its unit files in " + unitDirectory + ": " + e, e);
        }
        return new Looked(instance, names, rendering, drift, present, askReload);
    }

    private InstanceStatus activity(ServiceInstance instance, UnitNames names, InstanceStatus.Presence presence, List<String> drift,
            Map<String, SystemdManager.UnitInfo> states, Map<String, List<String>> running)
            throws SystemdCallException, ActivationException {
        boolean template = isTemplate(names.service());
        List<String> connections = running.getOrDefault(names.service(), List.of());
        String serviceState = template ? (connections.isEmpty() ? "inactive" : "active") : activeState(states, names.service());
        if (serviceState.equals("failed")) {
            return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift,
                    String.valueOf(bus.property(names.service(), "org.freedesktop.systemd1.Service", "Result")) + " (" + names.service() + ")",
                    report.failedRunLines(instance, names.service()));
        }
        if (UnitActivation.RUNNING_STATES.contains(serviceState)) {
            Optional<String> stuck = template ? Optional.empty() : stuckCheck.stuck(instance, names);
            if (stuck.isPresent()) {
                return new InstanceStatus(presence, InstanceStatus.Activity.STUCK, drift, stuck.get(), report.logTail(names.service()));
            }
            String usage = LimitUsage.of(bus, instance, template ? connections : List.of(names.service()));
            return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, names.service() + " is " + serviceState + usage);
        }
        if (!instance.isOnDemand()) {
            return new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, names.service() + " is " + serviceState);
        }
        for (UnitNames.Socket socket : names.sockets()) {
            String state = activeState(states, socket.unit());
            if (state.equals("failed")) {
                return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift,
                        bus.property(socket.unit(), "org.freedesktop.systemd1.Socket", "Result") + " (" + socket.unit() + ")",
                        report.failedRunLines(instance, socket.unit()));
            }
            if (!state.equals("active")) {
                return new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, socket.unit() + " is " + state);
            }
        }
        return new InstanceStatus(presence, InstanceStatus.Activity.LISTENING, drift, "no process runs");
    }

    /** A unit's state from the listing; one it did not list (it cannot happen for a name asked) is asked alone. */
    private String activeState(Map<String, SystemdManager.UnitInfo> states, String unit) throws SystemdCallException {
        SystemdManager.UnitInfo info = states.get(unit);
        return info != null ? info.activeState : bus.unitProperty(unit, "ActiveState");
    }
}
