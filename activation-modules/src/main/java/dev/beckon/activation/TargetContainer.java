package dev.beckon.activation;

import java.nio.file.Path;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One target's container for one module, as a session needs it: the container's settings from the
 * infrastructure model (defaults applied) and the target's beckon state directory.
 */
public record TargetContainer(String target, String type, SortedMap<String, String> settings, Path stateDirectory) {
    public TargetContainer {
        settings = Collections.unmodifiableSortedMap(new TreeMap<>(settings));
    }

    /** The setting, or the given default. */
    public String setting(String key, String orElse) {
        return settings.getOrDefault(key, orElse);
    }
}
