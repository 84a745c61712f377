package dev.beckon.models;

import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedMap;

/**
 * One machine of {@code infrastructure.toml}.
 *
 * @param hostname how services on other targets reach services on this one
 * @param stateDir where beckon keeps its store and records on the target; empty: the scope's default
 */
public record Target(
        String name,
        TargetHost host,
        String hostname,
        Optional<Path> stateDir,
        SortedMap<String, Container> containers,
        SortedMap<String, String> properties,
        PortRange autoPorts,
        SourceLocation definedAt) {

    public Target {
        containers = Immutables.sortedMap(containers);
        properties = Immutables.sortedMap(properties);
    }
}
