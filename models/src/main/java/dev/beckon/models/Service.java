package dev.beckon.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * One service of {@code services.toml}, as written: placeholders are still templates, {@code "auto"}
 * ports still unassigned. {@link InstanceSpec} is the same service resolved for one target.
 *
 * @param type the activation module that manages it: {@code systemd-unit}, {@code inetd}, {@code xinetd}
 *     or the name of an external module
 * @param packagePath the package's absolute path on the machine that deploys, when there is one
 * @param definedAt where its table starts, for messages about it
 * @param limits its resource limits ({@code [services.X.limits]}), {@link Limits#NONE} when it has none
 */
public record Service(
        String name,
        String type,
        String description,
        Optional<Path> packagePath,
        List<Template> exec,
        SortedMap<String, Template> environment,
        SortedMap<String, PortRequest> ports,
        List<String> dependsOn,
        Optional<OnDemand> onDemand,
        SourceLocation definedAt,
        Limits limits) {

    public Service {
        limits = limits == null ? Limits.NONE : limits;
        exec = List.copyOf(exec);
        environment = Immutables.sortedMap(environment);
        ports = Immutables.sortedMap(ports);
        dependsOn = List.copyOf(dependsOn);
    }

    /** A service without limits. */
    public Service(String name, String type, String description, Optional<Path> packagePath, List<Template> exec,
            SortedMap<String, Template> environment, SortedMap<String, PortRequest> ports, List<String> dependsOn,
            Optional<OnDemand> onDemand, SourceLocation definedAt) {
        this(name, type, description, packagePath, exec, environment, ports, dependsOn, onDemand, definedAt, Limits.NONE);
    }
}
