package dev.beckon.planner.manifest;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values of the secrets of the instances one command resolved, kept in memory only, from the resolver to the
 * deployment step that writes them to the targets. Manifests hold only their hashes ({@link ManifestEntry#secrets()}),
 * so nothing that records, prints or sends a manifest can carry a value; this class prints none either.
 */
public final class SecretValues {
    private record Held(SortedMap<String, String> hashes, SortedMap<String, byte[]> values) {
        @Override
        public String toString() {
            return "Held" + hashes.keySet();
        }
    }

    private final Map<String, Held> byInstance = new ConcurrentHashMap<>();

    /** Keeps the values of instance {@code id}'s secrets, which hash to {@code hashes}. */
    void put(String id, SortedMap<String, String> hashes, SortedMap<String, byte[]> values) {
        byInstance.put(id, new Held(new TreeMap<>(hashes), new TreeMap<>(values)));
    }

    /**
     * The values of {@code entry}'s secrets, by name, when this command read them for exactly that entry (the same
     * hashes); empty for an entry that comes from a record (a rollback), whose values are only on its target.
     */
    public Optional<SortedMap<String, byte[]>> of(ManifestEntry entry) {
        Held held = byInstance.get(entry.id());
        if (held == null || !held.hashes().equals(entry.secrets())) {
            return Optional.empty();
        }
        SortedMap<String, byte[]> copy = new TreeMap<>();
        held.values().forEach((name, value) -> copy.put(name, value.clone()));
        return Optional.of(copy);
    }

    @Override
    public String toString() {
        return "SecretValues[" + byInstance.size() + " instances, values not shown]";
    }
}
