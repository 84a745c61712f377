package dev.beckon.planner.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Limits;
import dev.beckon.models.Durations;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import dev.beckon.models.SocketPassing;
import dev.beckon.models.StartLimit;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
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
 * @param startLimit an on-demand instance's start limit, {@code BURST/INTERVAL}; empty for an always-on one, and in
 *     manifests recorded before it existed (derived from the idle time then)
 * @param pass how an on-demand instance receives its sockets ({@code listen-fds}, {@code stdin}); empty for an
 *     always-on one, and in manifests recorded before it existed (see {@link ServiceInstance.Activation#passingBeforeItWasChosen})
 * @param limits the instance's resource limits as {@link Limits#toMap()} writes them; left out of the JSON when there are none,
 *     so manifests recorded before limits existed keep their bytes and hashes
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
        SortedMap<String, String> files,
        String pass,
        String startLimit,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, String> limits) {

    public ManifestEntry {
        limits = limits == null ? new TreeMap<>() : new TreeMap<>(limits);
        pass = pass == null ? "" : pass;
        startLimit = startLimit == null ? "" : startLimit;
        exec = List.copyOf(exec);
        environment = new TreeMap<>(environment);
        ports = new TreeMap<>(ports);
        listen = List.copyOf(listen);
        container = new TreeMap<>(container);
        dependsOn = List.copyOf(dependsOn);
        endpoints = new TreeMap<>(endpoints);
        files = new TreeMap<>(files);
    }

    /** An entry without limits. */
    public ManifestEntry(String service, String target, String type, String hash, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, List<String> listen, String idleTimeout,
            boolean accept, boolean onDemand, String packageSource, String packageHash, String packagePath,
            String instanceDirectory, SortedMap<String, String> container, String stateDirectory, List<String> dependsOn,
            SortedMap<String, String> endpoints, SortedMap<String, String> files, String pass, String startLimit) {
        this(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept, onDemand,
                packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints, files,
                pass, startLimit, new TreeMap<>());
    }

    /** An entry as recorded before {@code pass} and {@code startLimit} existed. */
    public ManifestEntry(String service, String target, String type, String hash, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, List<String> listen, String idleTimeout,
            boolean accept, boolean onDemand, String packageSource, String packageHash, String packagePath,
            String instanceDirectory, SortedMap<String, String> container, String stateDirectory, List<String> dependsOn,
            SortedMap<String, String> endpoints, SortedMap<String, String> files) {
        this(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept, onDemand,
                packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints, files,
                "", "");
    }

    /** {@code SERVICE@TARGET}. */
    public String id() {
        return service + "@" + target;
    }

    /** The instance as its module takes it. */
    public ServiceInstance toInstance(String profile) {
        List<ListenAddress> addresses = listen.stream().map(ListenAddress::parse).toList();
        Duration idle = Durations.parse(idleTimeout);
        Optional<ServiceInstance.Activation> activation = onDemand
                ? Optional.of(new ServiceInstance.Activation(addresses, idle, accept,
                        pass.isEmpty() ? ServiceInstance.Activation.passingBeforeItWasChosen(addresses)
                                : SocketPassing.named(pass).orElseThrow(() -> new IllegalArgumentException(
                                        id() + ": the manifest's pass " + Messages.quote(pass) + " is none this beckon knows")),
                        startLimit.isEmpty() ? StartLimit.of(idle, OptionalInt.empty(), Optional.empty()) : StartLimit.parse(startLimit)))
                : Optional.empty();
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, activation,
                packagePath.isEmpty() ? Optional.empty() : Optional.of(Path.of(packagePath)), Path.of(instanceDirectory),
                container, Path.of(stateDirectory), Limits.fromMap(limits));
    }
}
