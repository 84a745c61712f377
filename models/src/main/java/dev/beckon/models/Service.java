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
 * @param classDataArchive {@code class-data-archive}: whether beckon makes and uses a class-data archive for it
 *     ({@code true}: its exec runs a JVM launcher, whatever it is called; {@code false}: never); empty: when its
 *     exec runs a program named {@code java}
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
        Optional<Boolean> classDataArchive) {

    public Service {
        classDataArchive = classDataArchive == null ? Optional.empty() : classDataArchive;
        exec = List.copyOf(exec);
        environment = Immutables.sortedMap(environment);
        ports = Immutables.sortedMap(ports);
        dependsOn = List.copyOf(dependsOn);
    }

    /** A service as read before {@code class-data-archive} existed: the archive as its exec decides. */
    public Service(String name, String type, String description, Optional<Path> packagePath, List<Template> exec,
            SortedMap<String, Template> environment, SortedMap<String, PortRequest> ports, List<String> dependsOn,
            Optional<OnDemand> onDemand, SourceLocation definedAt) {
        this(name, type, description, packagePath, exec, environment, ports, dependsOn, onDemand, definedAt, Optional.empty());
    }
}
