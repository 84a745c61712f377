package dev.beckon.planner.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Hardening;
import dev.beckon.models.Limits;
import dev.beckon.models.Durations;
import dev.beckon.models.Knob;
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
 * @param listen where the service manager listens for it: an on-demand instance, or an always-on one whose sockets the
 *     manager holds ({@code onDemand} false); empty for one that binds its own port
 * @param stopTimeout how long a stopping instance may take to finish its connections, as the model writes durations;
 *     empty (and left out of the JSON) in manifests recorded before it existed
 * @param readiness when an activation of it is done; {@link ReadinessEntry#NONE}, and left out of the JSON, when it declares none
 * @param classDataArchive the instance's class-data archive on the target, which its exec names with
 *     {@code -XX:SharedArchiveFile=} ({@link ClassDataArchive}); empty when it has none, and then left out of the JSON, so
 *     manifests recorded before it existed keep their hash
 * @param knobs its runtime knobs in slot order; empty (and left out of the JSON, so older manifests keep their hash)
 *     for a service without
 * @param stateSize the size of its warm state in the model's syntax ({@code 64MiB}); empty, and left out of the JSON,
 *     for a service without one
 * @param limits the instance's resource limits as {@link Limits#toMap()} writes them; left out of the JSON when there are none,
 *     so manifests recorded before limits existed keep their bytes and hashes
 * @param hardening how its service manager confines it, as {@link Hardening#toMap()} writes it; empty, and left out of the
 *     JSON, for a module that confines nothing and in manifests recorded before hardening existed (whose units had none)
 * @param secrets the hash of each of its secrets' values by name ({@link SecretHashes}), never a value; left out of the
 *     JSON when it has none, so manifests recorded before secrets existed keep their bytes and hashes
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
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
        String stopTimeout,
        @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = ReadinessEntry.Unset.class) ReadinessEntry readiness,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) String classDataArchive,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Knob> knobs,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) String stateSize,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, String> limits,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, String> hardening,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, String> secrets) {

    public ManifestEntry {
        stopTimeout = stopTimeout == null ? "" : stopTimeout;
        readiness = readiness == null ? ReadinessEntry.NONE : readiness;
        classDataArchive = classDataArchive == null ? "" : classDataArchive;
        knobs = knobs == null ? List.of() : List.copyOf(knobs);
        limits = limits == null ? new TreeMap<>() : new TreeMap<>(limits);
        hardening = hardening == null ? new TreeMap<>() : new TreeMap<>(hardening);
        secrets = secrets == null ? new TreeMap<>() : new TreeMap<>(secrets);
        pass = pass == null ? "" : pass;
        startLimit = startLimit == null ? "" : startLimit;
        stateSize = stateSize == null ? "" : stateSize;
        exec = List.copyOf(exec);
        environment = new TreeMap<>(environment);
        ports = new TreeMap<>(ports);
        listen = List.copyOf(listen);
        container = new TreeMap<>(container);
        dependsOn = List.copyOf(dependsOn);
        endpoints = new TreeMap<>(endpoints);
        files = new TreeMap<>(files);
    }

    /** An entry as recorded before {@code hardening} and {@code secrets} existed: its units are written without. */
    public ManifestEntry(String service, String target, String type, String hash, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, List<String> listen, String idleTimeout,
            boolean accept, boolean onDemand, String packageSource, String packageHash, String packagePath,
            String instanceDirectory, SortedMap<String, String> container, String stateDirectory, List<String> dependsOn,
            SortedMap<String, String> endpoints, SortedMap<String, String> files, String pass, String startLimit, String stopTimeout,
            ReadinessEntry readiness, String classDataArchive, List<Knob> knobs, String stateSize, SortedMap<String, String> limits) {
        this(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept, onDemand,
                packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints, files,
                pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, new TreeMap<>(), new TreeMap<>());
    }

    /** An entry as recorded before {@code secrets} existed. */
    public ManifestEntry(String service, String target, String type, String hash, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, List<String> listen, String idleTimeout,
            boolean accept, boolean onDemand, String packageSource, String packageHash, String packagePath,
            String instanceDirectory, SortedMap<String, String> container, String stateDirectory, List<String> dependsOn,
            SortedMap<String, String> endpoints, SortedMap<String, String> files, String pass, String startLimit, String stopTimeout,
            ReadinessEntry readiness, String classDataArchive, List<Knob> knobs, String stateSize, SortedMap<String, String> limits,
            SortedMap<String, String> hardening) {
        this(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept, onDemand,
                packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints, files,
                pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, hardening, new TreeMap<>());
    }

    /** An entry as recorded before {@code stopTimeout}, {@code readiness} and the settings after them existed. */
    public ManifestEntry(String service, String target, String type, String hash, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, List<String> listen, String idleTimeout,
            boolean accept, boolean onDemand, String packageSource, String packageHash, String packagePath,
            String instanceDirectory, SortedMap<String, String> container, String stateDirectory, List<String> dependsOn,
            SortedMap<String, String> endpoints, SortedMap<String, String> files, String pass, String startLimit) {
        this(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept, onDemand,
                packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints, files,
                pass, startLimit, "", ReadinessEntry.NONE, "", List.of(), "", new TreeMap<>());
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

    /** The same entry with {@code stopTimeout}. */
    public ManifestEntry withStopTimeout(String stopTimeout) {
        return new ManifestEntry(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept,
                onDemand, packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints,
                files, pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, hardening, secrets);
    }

    /** The same entry with {@code knobs}. */
    public ManifestEntry withKnobs(List<Knob> knobs) {
        return new ManifestEntry(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept,
                onDemand, packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints,
                files, pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, hardening, secrets);
    }

    /** The same entry with {@code limits}, as {@link Limits#toMap()} writes them. */
    public ManifestEntry withLimits(SortedMap<String, String> limits) {
        return new ManifestEntry(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept,
                onDemand, packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints,
                files, pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, hardening, secrets);
    }

    /** The same entry with {@code secrets}: the hash of each secret's value by name ({@link SecretHashes}). */
    public ManifestEntry withSecrets(SortedMap<String, String> secrets) {
        return new ManifestEntry(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept,
                onDemand, packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints,
                files, pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, hardening, secrets);
    }

    /** The same entry with {@code readiness}. */
    public ManifestEntry withReadiness(ReadinessEntry readiness) {
        return new ManifestEntry(service, target, type, hash, description, exec, environment, ports, listen, idleTimeout, accept,
                onDemand, packageSource, packageHash, packagePath, instanceDirectory, container, stateDirectory, dependsOn, endpoints,
                files, pass, startLimit, stopTimeout, readiness, classDataArchive, knobs, stateSize, limits, hardening, secrets);
    }

    /** {@code SERVICE@TARGET}. */
    public String id() {
        return service + "@" + target;
    }

    /** The instance as its module takes it. */
    public ServiceInstance toInstance(String profile) {
        List<ListenAddress> addresses = listen.stream().map(ListenAddress::parse).toList();
        Duration idle = Durations.parse(idleTimeout);
        // Listeners without on demand: an always-on instance whose sockets the manager holds (always-on ones that bind
        // their own port were recorded without listen).
        Optional<ServiceInstance.Activation> activation = onDemand || !listen.isEmpty()
                ? Optional.of(new ServiceInstance.Activation(addresses, idle, accept,
                        pass.isEmpty() ? ServiceInstance.Activation.passingBeforeItWasChosen(addresses)
                                : SocketPassing.named(pass).orElseThrow(() -> new IllegalArgumentException(
                                        id() + ": the manifest's pass " + Messages.quote(pass) + " is none this beckon knows")),
                        startLimit.isEmpty() ? StartLimit.of(idle, OptionalInt.empty(), Optional.empty()) : StartLimit.parse(startLimit),
                        !onDemand))
                : Optional.empty();
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, activation,
                packagePath.isEmpty() ? Optional.empty() : Optional.of(Path.of(packagePath)), Path.of(instanceDirectory),
                container, Path.of(stateDirectory), stopTimeout.isEmpty() ? Optional.empty() : Optional.of(Durations.parse(stopTimeout)),
                readiness.toReadiness(id()), Limits.fromMap(limits), Hardening.fromMap(hardening), List.copyOf(secrets.keySet()));
    }
}
