package dev.beckon.models;

import java.util.Map;
import java.util.OptionalInt;

/**
 * The ports instances had in the last deployment, by target, service and port name: an {@code "auto"}
 * port keeps its number when it is still free, so a redeployment never moves it without need.
 */
public record PortHints(Map<String, Map<String, Map<String, Integer>>> ports) {
    public static final PortHints NONE = new PortHints(Map.of());

    public PortHints {
        ports = Map.copyOf(ports);
    }

    public OptionalInt port(String target, String service, String name) {
        Integer port = ports.getOrDefault(target, Map.of()).getOrDefault(service, Map.of()).get(name);
        return port == null ? OptionalInt.empty() : OptionalInt.of(port);
    }
}
