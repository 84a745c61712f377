package dev.beckon.activation.systemd;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;

/**
 * One connection to a systemd manager over D-Bus: its methods, its properties, and jobs awaited
 * through {@code JobRemoved} rather than by polling or sleeping.
 */
final class SystemdBus implements AutoCloseable {
    private static final String UNIT_INTERFACE = "org.freedesktop.systemd1.Unit";
    private static final String MANAGER_INTERFACE = "org.freedesktop.systemd1.Manager";
    /** Longer than systemd's default start timeout (90 s), so systemd decides, not we. */
    private static final long JOB_LIMIT_SECONDS = 120;

    private final String address;
    private final DBusConnection connection;
    private final SystemdManager manager;
    /**
     * The jobs this connection waits for, by object path. The manager signals {@code JobRemoved} for every
     * job, anyone's; only these are kept.
     */
    private final Map<String, CompletableFuture<String>> awaited = new java.util.HashMap<>();
    /**
     * Results of jobs nobody waited for yet, kept only while a call that queues a job is under way: its
     * job's signal may arrive before the call returns the job's path. Emptied whenever no such call is.
     */
    private final Map<String, String> unclaimed = new java.util.HashMap<>();
    /** How many job-queuing calls are under way; guarded by {@link #awaited}, as is {@link #unclaimed}. */
    private int queuing;
    /**
     * Each unit's properties object. A unit's object path never changes for its name, so it is
     * loaded once per connection, not once per property read.
     */
    private final Map<String, Properties> unitProperties = new ConcurrentHashMap<>();

    private SystemdBus(String address, DBusConnection connection) throws DBusException {
        this.address = address;
        this.connection = connection;
        this.manager = connection.getRemoteObject(SystemdManager.BUS_NAME, SystemdManager.OBJECT_PATH, SystemdManager.class);
        connection.addSigHandler(SystemdManager.JobRemoved.class, signal -> jobRemoved(signal.job.getPath(), signal.result));
        manager.Subscribe();
    }

    /** Connects to the manager at a D-Bus address such as {@code unix:path=/run/user/1000/bus}. */
    static SystemdBus connect(String address) throws DBusException {
        // dbus-java takes about ten seconds to give up on a socket that is not there; say so at once instead.
        if (address.startsWith("unix:path=")) {
            String socket = address.substring("unix:path=".length()).split(",", 2)[0];
            if (!java.nio.file.Files.exists(java.nio.file.Path.of(socket))) {
                throw new DBusException("Failed to connect to bus: no socket at " + socket);
            }
        }
        DBusConnection connection = DBusConnectionBuilder.forAddress(address).withShared(false).build();
        try {
            return new SystemdBus(address, connection);
        } catch (DBusException | RuntimeException e) {
            connection.disconnect();
            throw e;
        }
    }

    String address() {
        return address;
    }

    SystemdManager manager() {
        return manager;
    }

    /**
     * Runs a job-queuing call ({@code StartUnit}, {@code StopUnit}, ...) and waits for the job to finish.
     *
     * @return systemd's result: done, canceled, timeout, failed, dependency or skipped
     */
    String runJob(Supplier<DBusPath> queue) throws SystemdCallException {
        DBusPath job = null;
        CompletableFuture<String> result = new CompletableFuture<>();
        synchronized (awaited) {
            queuing++;
        }
        try {
            job = call(queue);
        } finally {
            synchronized (awaited) {
                if (job != null) {
                    claim(job.getPath(), result);
                }
                queuing--;
                if (queuing == 0) {
                    unclaimed.clear();
                }
            }
        }
        try {
            return result.get(JOB_LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new SystemdCallException("job " + job.getPath() + " did not finish within " + JOB_LIMIT_SECONDS + " s", e);
        } catch (ExecutionException e) {
            throw new SystemdCallException("job " + job.getPath() + " failed: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemdCallException("interrupted while waiting for job " + job.getPath(), e);
        } finally {
            synchronized (awaited) {
                awaited.remove(job.getPath());
            }
        }
    }

    /**
     * Starts many units as {@link #runJob} runs one {@code StartUnit}, but sends every call before it awaits any
     * answer, so that the manager queues and runs the jobs back to back: no round trip of ours between two of them,
     * then one wait for all their {@code JobRemoved}.
     *
     * @return systemd's result for each unit, in their order; for a start systemd refused, "refused: " and its message
     */
    List<String> startAll(List<String> units) throws SystemdCallException {
        List<org.freedesktop.dbus.DBusAsyncReply<?>> calls = new java.util.ArrayList<>();
        List<CompletableFuture<String>> results = new java.util.ArrayList<>();
        List<String> jobs = new java.util.ArrayList<>();
        synchronized (awaited) {
            queuing++;
        }
        try {
            for (String unit : units) {
                calls.add(connection.callMethodAsync(manager, "StartUnit", unit, "replace"));
            }
            for (org.freedesktop.dbus.DBusAsyncReply<?> call : calls) {
                CompletableFuture<String> result = new CompletableFuture<>();
                results.add(result);
                String job;
                try {
                    // The reply object answers only once the answer is in: wait for it as a synchronous call would.
                    call.getCall().getReply();
                    job = ((DBusPath) call.getReply()).getPath();
                } catch (DBusException | DBusExecutionException e) {
                    result.complete("refused: " + e.getMessage());
                    continue;
                }
                synchronized (awaited) {
                    claim(job, result);
                    jobs.add(job);
                }
            }
        } finally {
            synchronized (awaited) {
                queuing--;
                if (queuing == 0) {
                    unclaimed.clear();
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOB_LIMIT_SECONDS);
        List<String> outcomes = new java.util.ArrayList<>();
        try {
            for (CompletableFuture<String> result : results) {
                outcomes.add(result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return outcomes;
        } catch (TimeoutException e) {
            throw new SystemdCallException((results.size() - outcomes.size()) + " of " + results.size() + " start jobs did not finish within "
                    + JOB_LIMIT_SECONDS + " s", e);
        } catch (ExecutionException e) {
            throw new SystemdCallException("a start job failed: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemdCallException("interrupted while waiting for " + results.size() + " start jobs", e);
        } finally {
            synchronized (awaited) {
                jobs.forEach(awaited::remove);
            }
        }
    }

    /**
     * Makes {@code result} the one that {@code job}'s {@code JobRemoved} completes; completes it now when that signal
     * came before the call that queued the job returned (it waits in {@code unclaimed} while calls are queuing).
     * Called holding {@code awaited}, while still counted as queuing.
     */
    private void claim(String job, CompletableFuture<String> result) {
        String early = unclaimed.remove(job);
        if (early != null) {
            result.complete(early);
        } else {
            awaited.put(job, result);
        }
    }

    private void jobRemoved(String job, String result) {
        synchronized (awaited) {
            CompletableFuture<String> waiting = awaited.get(job);
            if (waiting != null) {
                waiting.complete(result);
            } else if (queuing > 0) {
                unclaimed.put(job, result);
            }
        }
    }

    /** How many job results this connection holds, awaited or not: zero between calls, whatever other clients do. */
    int heldJobResults() {
        synchronized (awaited) {
            return awaited.size() + unclaimed.size();
        }
    }

    /** Calls a manager method, turning D-Bus's unchecked errors into a checked one with systemd's message. */
    <T> T call(Supplier<T> method) throws SystemdCallException {
        try {
            return method.get();
        } catch (DBusExecutionException e) {
            throw new SystemdCallException(e.getMessage(), e);
        }
    }

    void run(Runnable method) throws SystemdCallException {
        call(() -> {
            method.run();
            return null;
        });
    }

    /** A property of the {@code org.freedesktop.systemd1.Unit} interface of a unit, loading the unit if needed. */
    String unitProperty(String unit, String property) throws SystemdCallException {
        return String.valueOf(property(unit, UNIT_INTERFACE, property));
    }

    /** A property of any interface of a unit ({@code org.freedesktop.systemd1.Service}, ...). */
    Object property(String unit, String iface, String property) throws SystemdCallException {
        Properties found = propertiesOf(unit, property);
        return call(() -> found.Get(iface, property));
    }

    private Properties propertiesOf(String unit, String property) throws SystemdCallException {
        Properties properties = unitProperties.get(unit);
        if (properties == null) {
            DBusPath path = call(() -> manager.LoadUnit(unit));
            try {
                properties = connection.getRemoteObject(SystemdManager.BUS_NAME, path.getPath(), Properties.class);
            } catch (DBusException e) {
                throw new SystemdCallException("cannot read " + property + " of " + unit + ": " + e.getMessage(), e);
            }
            unitProperties.put(unit, properties);
        }
        return properties;
    }

    /**
     * The states of many units in one call ({@code ListUnitsByNames}), by name; their objects are remembered, so that
     * a property read of one of them after costs no {@code LoadUnit}.
     */
    Map<String, SystemdManager.UnitInfo> units(java.util.Collection<String> names) throws SystemdCallException {
        if (names.isEmpty()) {
            return Map.of();
        }
        Map<String, SystemdManager.UnitInfo> byName = new java.util.HashMap<>();
        for (SystemdManager.UnitInfo info : call(() -> manager.ListUnitsByNames(List.copyOf(names)))) {
            byName.put(info.name, info);
            if (!unitProperties.containsKey(info.name) && info.path != null) {
                try {
                    unitProperties.put(info.name, connection.getRemoteObject(SystemdManager.BUS_NAME, info.path.getPath(), Properties.class));
                } catch (DBusException e) {
                    // Loaded again by the first property read that needs it.
                }
            }
        }
        return byName;
    }

    /**
     * One property of the {@code org.freedesktop.systemd1.Unit} interface of many units, asked in one burst: every
     * call is sent before any answer is awaited, so they cost one round trip together, not one each. Units not yet
     * known to this connection are loaded one by one first; after {@link #units} of the same names, none is.
     */
    Map<String, Object> unitPropertyOfEach(java.util.Collection<String> units, String property) throws SystemdCallException {
        Map<String, org.freedesktop.dbus.DBusAsyncReply<?>> replies = new java.util.LinkedHashMap<>();
        for (String unit : units) {
            replies.put(unit, connection.callMethodAsync(propertiesOf(unit, property), "Get", UNIT_INTERFACE, property));
        }
        Map<String, Object> values = new java.util.HashMap<>();
        for (Map.Entry<String, org.freedesktop.dbus.DBusAsyncReply<?>> reply : replies.entrySet()) {
            try {
                // The reply object answers only once the answer is in: wait for it as a synchronous call would.
                reply.getValue().getCall().getReply();
                Object value = reply.getValue().getReply();
                values.put(reply.getKey(), value instanceof org.freedesktop.dbus.types.Variant<?> variant ? variant.getValue() : value);
            } catch (DBusException | DBusExecutionException e) {
                throw new SystemdCallException("cannot read " + property + " of " + reply.getKey() + ": " + e.getMessage(), e);
            }
        }
        return values;
    }

    /** The running instances of each of some templates ({@code ...@.service}), by template, in one listing. */
    Map<String, List<String>> runningTemplateInstances(java.util.Collection<String> templates) throws SystemdCallException {
        if (templates.isEmpty()) {
            return Map.of();
        }
        List<String> patterns = templates.stream().map(t -> t.replace("@.service", "@*.service")).toList();
        Map<String, List<String>> running = new java.util.HashMap<>();
        for (SystemdManager.UnitInfo info : call(() -> manager.ListUnitsByPatterns(List.of(), patterns))) {
            int at = info.name.indexOf('@');
            String template = at < 0 ? "" : info.name.substring(0, at + 1) + ".service";
            if (templates.contains(template) && UnitActivation.RUNNING_STATES.contains(info.activeState)) {
                running.computeIfAbsent(template, t -> new java.util.ArrayList<>()).add(info.name);
            }
        }
        return running;
    }

    /** The manager's unit search path, first entry first. */
    @SuppressWarnings("unchecked")
    List<String> unitPath() throws SystemdCallException {
        try {
            Properties properties = connection.getRemoteObject(SystemdManager.BUS_NAME, SystemdManager.OBJECT_PATH, Properties.class);
            return (List<String>) call(() -> properties.Get(MANAGER_INTERFACE, "UnitPath"));
        } catch (DBusException e) {
            throw new SystemdCallException("cannot read the manager's UnitPath: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (IOException e) {
            // Closing a connection we no longer need: nothing left to do about a failure.
        }
    }

    /** A call to systemd failed; the message is systemd's own. */
    static final class SystemdCallException extends Exception {
        private static final long serialVersionUID = 1L;

        SystemdCallException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
