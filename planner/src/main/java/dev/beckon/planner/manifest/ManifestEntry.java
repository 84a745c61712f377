package dev.beckon.planner.manifest;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import dev.beckon.models.ListenAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One instance as deployed: everything needed to activate it again without the model (rollback), to
 * compare it with a new one (plan), and to find its package.
 *
 * @param hash the content hash over everything that makes the instance what it is
 * @param dependsOn the services it is ordered after, as {@code SERVICE} names
 * @param endpoints the connection parameters it received from its dependencies, for "dependency changed"
 * @param packageSource where the package was on the deploying machine, empty when the service has none
 * @param packageHash the package content's SHA-256, empty when the service has none
 * @param files what its module writes for it, by name
 */
public record ManifestEntry(
        String service,
        String target,
        String type,
        String hash,
        String description,
        List<String> exec,
        SortedMap<String, String> environment,
        SortedMap<String, Integer> ports,
        List<String> listen,
        String idleTimeout,
        boolean accept,
        boolean onDemand,
        String packageSource,
        String packageHash,
        String packagePath,
        String instanceDirectory,
        SortedMap<String, String> container,
        String stateDirectory,
        List<String> dependsOn,
        SortedMap<String, String> endpoints,
        SortedMap<String, String> files) {

    public ManifestEntry {
        exec = List.copyOf(exec);
        environment = new TreeMap<>(environment);
        ports = new TreeMap<>(ports);
        listen = List.copyOf(listen);
        container = new TreeMap<>(container);
        dependsOn = List.copyOf(dependsOn);
        endpoints = new TreeMap<>(endpoints);
        files = new TreeMap<>(files);
    }

    /** {@code SERVICE@TARGET}. */
    public String id() {
        return service + "@" + target;
    }

    /** The instance as its module takes it. */
    public ServiceInstance toInstance(String profile) {
        Optional<ServiceInstance.Activation> activation = onDemand
                ? Optional.of(new ServiceInstance.Activation(listen.stream().map(ListenAddress::parse).toList(),
                        Durations.parse(idleTimeout), accept))
                : Optional.empty();
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, activation,
                packagePath.isEmpty() ? Optional.empty() : Optional.of(Path.of(packagePath)), Path.of(instanceDirectory),
                container, Path.of(stateDirectory));
    }
}
