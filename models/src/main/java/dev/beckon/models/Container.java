package dev.beckon.models;

import java.util.Optional;
import java.util.SortedMap;

/**
 * What a target offers to one activation module, Dysnomia style: {@code [targets.T.containers.TYPE]}.
 * Built-in types have their settings validated and defaults filled in; an external module's settings
 * are passed to it as they are.
 */
public record Container(String type, SortedMap<String, String> settings) {
    public Container {
        settings = Immutables.sortedMap(settings);
    }

    /** One setting, with the built-in default already applied. */
    public Optional<String> setting(String key) {
        return Optional.ofNullable(settings.get(key));
    }
}
