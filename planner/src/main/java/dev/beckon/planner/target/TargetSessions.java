package dev.beckon.planner.target;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.activation.ActivationException;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.store.StoreSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The target sessions of one command: one per target, opened when first needed and kept for the whole
 * command (a plan and the deployment after it share one connection per target), all closed at the end.
 */
public final class TargetSessions implements AutoCloseable {
    private final TargetConnector connector;
    private final String profile;
    private final SortedMap<String, Manifest.TargetRecord> targets;
    private final Map<String, TargetSession> open = new LinkedHashMap<>();
    /** gc's sessions, one set per host the generations name (see {@link #storesAsRecorded}). */
    private final Map<String, TargetSessions> byHost = new LinkedHashMap<>();
    private final dev.beckon.planner.manifest.SecretValues secrets = new dev.beckon.planner.manifest.SecretValues();

    public TargetSessions(TargetConnector connector, String profile) {
        this.connector = connector;
        this.profile = profile;
        this.targets = new TreeMap<>();
    }

    /** Sessions on this machine only, through {@code modules}. */
    public static TargetSessions local(ModuleFinder modules, String profile) {
        return new TargetSessions((target, p) -> new LocalTargetSession(p, modules), profile);
    }

    /** The values of the secrets this command read, for the deployment that writes them to these targets. */
    public dev.beckon.planner.manifest.SecretValues secrets() {
        return secrets;
    }

    /** Makes the targets of manifests known, so that their sessions can be opened. */
    public synchronized TargetSessions know(Manifest... manifests) {
        for (Manifest manifest : manifests) {
            manifest.targets().forEach(targets::putIfAbsent);
        }
        return this;
    }

    /**
     * The store sessions of a deployment: the very sessions (and agents) it deploys through, so the temporary roots it
     * writes are its own.
     */
    public StoreSession.OfTarget stores() {
        return record -> storeSession(know(record), record);
    }

    /** Makes a target known as {@code record} unless it is known already. */
    public synchronized TargetSessions know(Manifest.TargetRecord record) {
        targets.putIfAbsent(record.name(), record);
        return this;
    }

    /** The files of {@code entry}, rendered on its target by the module there ({@link TargetSession#render}). */
    public java.util.SortedMap<String, String> render(Manifest.TargetRecord target, ManifestEntry entry) throws PlanningException {
        try {
            return know(target).of(target.name()).render(entry);
        } catch (ActivationException e) {
            throw new PlanningException(e.getMessage(), e);
        }
    }

    /**
     * gc's store sessions: a target is reached on the host each generation recorded for it, so a target that moved to
     * another host has its old store collected there, never confused with the new one.
     */
    public StoreSession.OfTarget storesAsRecorded() {
        return record -> {
            TargetSessions onHost;
            synchronized (byHost) {
                onHost = byHost.computeIfAbsent(record.host(), host -> new TargetSessions(connector, profile));
            }
            return storeSession(onHost.know(record), record);
        };
    }

    private static StoreSession storeSession(TargetSessions sessions, Manifest.TargetRecord record) throws PlanningException {
        try {
            return sessions.of(record.name());
        } catch (ActivationException e) {
            String prefix = e.instance() + ": ";
            String message = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            throw new PlanningException("target " + record.name() + " cannot be reached to work on its store: " + message
                    + ". Nothing was changed there.", e);
        }
    }

    /** The session of a target; opening it may connect to the target. */
    public TargetSession of(String target) throws ActivationException {
        TargetSession session;
        synchronized (open) {
            session = open.get(target);
        }
        if (session != null) {
            return session;
        }
        Manifest.TargetRecord record;
        synchronized (this) {
            record = targets.get(target);
        }
        if (record == null) {
            throw new IllegalArgumentException("no target " + target + " in the manifests of this command");
        }
        TargetSession opened = connector.open(record, profile);
        synchronized (open) {
            TargetSession raced = open.putIfAbsent(target, opened);
            if (raced != null) {
                opened.close();
                return raced;
            }
            return opened;
        }
    }

    public TargetSession of(ManifestEntry entry) throws ActivationException {
        return of(entry.target());
    }

    /** How many sessions are closed at once: closing an SSH target's is mostly waiting for its agent and master to end. */
    private static final int CLOSED_AT_ONCE = 8;

    /**
     * Closes each session, several at once, and returns when all are closed; what one of them threw is thrown then, as
     * closing them one after another would have.
     */
    private static void closeSideBySide(List<TargetSession> sessions) {
        if (sessions.size() <= 1) {
            sessions.forEach(TargetSession::close);
            return;
        }
        java.util.concurrent.ExecutorService closers = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(CLOSED_AT_ONCE, sessions.size()), runnable -> {
                    Thread thread = new Thread(runnable, "beckon-session-closer");
                    thread.setDaemon(true);
                    return thread;
                });
        java.util.concurrent.atomic.AtomicReference<RuntimeException> failed = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            for (TargetSession session : sessions) {
                closers.execute(() -> {
                    try {
                        session.close();
                    } catch (RuntimeException e) {
                        failed.compareAndSet(null, e);
                    }
                });
            }
        } finally {
            closers.shutdown();
            boolean interrupted = false;
            while (true) {
                try {
                    if (closers.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    // Closing goes on: what a session holds on its target is released only by its close.
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (failed.get() != null) {
            throw failed.get();
        }
    }

    @Override
    public void close() {
        List<TargetSession> sessions;
        synchronized (open) {
            sessions = new ArrayList<>(open.values());
            open.clear();
        }
        closeSideBySide(sessions);
        List<TargetSessions> hosts;
        synchronized (byHost) {
            hosts = new ArrayList<>(byHost.values());
            byHost.clear();
        }
        hosts.forEach(TargetSessions::close);
    }
}
