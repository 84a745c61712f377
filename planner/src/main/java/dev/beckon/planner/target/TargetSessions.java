package dev.beckon.planner.target;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.activation.ActivationException;
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

    @Override
    public void close() {
        List<TargetSession> sessions;
        synchronized (open) {
            sessions = new ArrayList<>(open.values());
            open.clear();
        }
        sessions.forEach(TargetSession::close);
    }
}
