package dev.beckon.planner;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.TargetContainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The module sessions of one deployment: one per target, module and container settings, opened when first needed. */
final class ModuleSessions implements AutoCloseable {
    private final ModuleFinder modules;
    private final Map<String, ModuleSession> open = new LinkedHashMap<>();

    ModuleSessions(ModuleFinder modules) {
        this.modules = modules;
    }

    ModuleSession of(ManifestEntry entry) throws ActivationException {
        String key = key(entry);
        ModuleSession session = open.get(key);
        if (session == null) {
            Path stateDirectory = Path.of(entry.stateDirectory());
            session = modules.forType(entry.type(), stateDirectory)
                    .open(new TargetContainer(entry.target(), entry.type(), entry.container(), stateDirectory));
            open.put(key, session);
        }
        return session;
    }

    /** Entries with the same key share one session. */
    static String key(ManifestEntry entry) {
        return entry.target() + "\0" + entry.type() + "\0" + entry.container();
    }

    /** Finishes every session's deferred work (one reload each); all are tried, the first failure is thrown. */
    void flushAll() throws ActivationException {
        ActivationException first = null;
        for (ModuleSession session : open.values()) {
            try {
                session.flush();
            } catch (ActivationException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void close() {
        List<ModuleSession> sessions = new ArrayList<>(open.values());
        open.clear();
        sessions.forEach(ModuleSession::close);
    }
}
