package dev.beckon.planner.manifest;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one profile runs: every instance, in activation order (dependencies first), and the targets
 * they run on. Written as JSON into each generation.
 *
 * @param formatVersion the manifest format, so a later beckon can read an older generation
 */
public record Manifest(int formatVersion, String profile, SortedMap<String, TargetRecord> targets, List<ManifestEntry> entries) {
    public static final int FORMAT_VERSION = 1;

    /** A target as the deployment saw it. */
    public record TargetRecord(String name, String host, String hostname, String stateDirectory) {}

    public Manifest {
        targets = new TreeMap<>(targets);
        entries = List.copyOf(entries);
    }

    /** A manifest of nothing: what a profile runs before its first deployment. */
    public static Manifest empty(String profile) {
        return new Manifest(FORMAT_VERSION, profile, new TreeMap<>(), List.of());
    }

    public Optional<ManifestEntry> entry(String id) {
        return entries.stream().filter(e -> e.id().equals(id)).findFirst();
    }
}
