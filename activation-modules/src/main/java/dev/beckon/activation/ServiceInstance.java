package dev.beckon.activation;

import dev.beckon.models.Hardening;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.Limits;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.OnDemand;
import dev.beckon.models.SocketPassing;
import dev.beckon.models.StartLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One service instance on one target, fully resolved: what an activation module works on. Every
 * value is final text; modules escape or validate it for the files they write, never interpret
 * placeholders.
 *
 * @param profile the deployment profile, part of every name beckon gives a unit or entry
 * @param type the activation module's type name
 * @param exec the command line, argv as the service must receive it
 * @param onDemand how the service manager activates it, when it is not always running
 * @param packagePath the package in the target's store, when the service has one
 * @param instanceDirectory a directory on the target that belongs to this exact instance (in the store,
 *     so it lives as long as a generation references it): where modules put launchers and the like
 * @param container the settings of the target's container for this module, defaults applied
 * @param stateDirectory the target's beckon state directory
 * @param stopTimeout how long a stopping instance may take to finish its connections; empty for an instance
 *     recorded before {@code stop-timeout} existed, which keeps its manager's default
 * @param readiness when an activation of it is done
 * @param limits its resource limits, which its module enforces ({@link Limits#NONE}: none)
 * @param hardening how its service manager confines it ({@link Hardening#NONE}: not at all, as instances recorded
 *     before hardening existed)
 * @param secrets the names of its secrets, whose values are files in its instance directory ({@link Credentials}); never
 *     the values themselves
 */
public record ServiceInstance(
        String profile,
        String service,
        String target,
        String type,
        String description,
        List<String> exec,
        SortedMap<String, String> environment,
        SortedMap<String, Integer> ports,
        Optional<Activation> onDemand,
        Optional<Path> packagePath,
        Path instanceDirectory,
        SortedMap<String, String> container,
        Path stateDirectory,
        Optional<Duration> stopTimeout,
        InstanceReadiness readiness,
        Limits limits,
        Hardening hardening,
        List<String> secrets) {

    /** Without a stop timeout and declaring nothing about its readiness or limits, as instances were recorded before they existed. */
    public ServiceInstance(String profile, String service, String target, String type, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, Optional<Activation> onDemand,
            Optional<Path> packagePath, Path instanceDirectory, SortedMap<String, String> container, Path stateDirectory) {
        this(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath, instanceDirectory,
                container, stateDirectory, Optional.empty(), InstanceReadiness.NONE, Limits.NONE);
    }

    /** Without hardening or secrets, as instances were recorded before they existed. */
    public ServiceInstance(String profile, String service, String target, String type, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, Optional<Activation> onDemand,
            Optional<Path> packagePath, Path instanceDirectory, SortedMap<String, String> container, Path stateDirectory,
            Optional<Duration> stopTimeout, InstanceReadiness readiness, Limits limits) {
        this(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath, instanceDirectory,
                container, stateDirectory, stopTimeout, readiness, limits, Hardening.NONE, List.of());
    }

    /** Without secrets, as instances were before they existed. */
    public ServiceInstance(String profile, String service, String target, String type, String description, List<String> exec,
            SortedMap<String, String> environment, SortedMap<String, Integer> ports, Optional<Activation> onDemand,
            Optional<Path> packagePath, Path instanceDirectory, SortedMap<String, String> container, Path stateDirectory,
            Optional<Duration> stopTimeout, InstanceReadiness readiness, Limits limits, Hardening hardening) {
        this(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath, instanceDirectory,
                container, stateDirectory, stopTimeout, readiness, limits, hardening, List.of());
    }

    /**
     * The listeners the service manager holds for it, and whether they start it (on demand) or it is
     * started with them at activation ({@code startsAtOnce}: always on, {@code [services.X.sockets]}).
     *
     * @param idleTimeout how long the service may idle before it exits by itself; zero: never
     * @param accept true: one process per connection; false: one process gets the listening sockets
     * @param pass how the process receives its sockets
     * @param startLimit how often the service manager may start it
     * @param startsAtOnce true: started at activation and kept running, not started by its first connection
     */
    public record Activation(List<ListenAddress> listen, Duration idleTimeout, boolean accept, SocketPassing pass,
            StartLimit startLimit, boolean startsAtOnce) {
        public Activation {
            listen = List.copyOf(listen);
        }

        /** Started by its first connection. */
        public Activation(List<ListenAddress> listen, Duration idleTimeout, boolean accept, SocketPassing pass,
                StartLimit startLimit) {
            this(listen, idleTimeout, accept, pass, startLimit, false);
        }

        /** With the start limit derived from the idle time. */
        public Activation(List<ListenAddress> listen, Duration idleTimeout, boolean accept, SocketPassing pass) {
            this(listen, idleTimeout, accept, pass, StartLimit.of(idleTimeout, OptionalInt.empty(), Optional.empty()));
        }

        /**
         * Passing the sockets as every instance got them before {@code pass} existed (see
         * {@link #passingBeforeItWasChosen}), so manifests recorded then are activated as they were deployed.
         */
        public Activation(List<ListenAddress> listen, Duration idleTimeout, boolean accept) {
            this(listen, idleTimeout, accept, passingBeforeItWasChosen(listen));
        }

        /** One listener went to standard input, several from fd 3 with {@code LISTEN_FDS}. */
        public static SocketPassing passingBeforeItWasChosen(List<ListenAddress> listen) {
            return listen.size() == 1 ? SocketPassing.STDIN : SocketPassing.LISTEN_FDS;
        }

        /**
         * The name of each listener, in the model's order ({@code FileDescriptorName=},
         * {@code LISTEN_FDNAMES}): the port's name when its port is one the service declares, else
         * {@code listenN}; a name taken by an earlier listener gets {@code -N}.
         */
        public List<String> listenerNames(Map<String, Integer> ports) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < listen.size(); i++) {
                String preferred = "listen" + i;
                if (listen.get(i) instanceof ListenAddress.Inet inet) {
                    for (Map.Entry<String, Integer> port : ports.entrySet()) {
                        if (port.getValue() == inet.port()) {
                            preferred = port.getKey();
                            break;
                        }
                    }
                }
                names.add(names.contains(preferred) ? preferred + "-" + i : preferred);
            }
            return List.copyOf(names);
        }
    }

    public ServiceInstance {
        readiness = readiness == null ? InstanceReadiness.NONE : readiness;
        limits = limits == null ? Limits.NONE : limits;
        hardening = hardening == null ? Hardening.NONE : hardening;
        secrets = secrets == null ? List.of() : List.copyOf(new java.util.TreeSet<>(secrets));
        exec = List.copyOf(exec);
        environment = Collections.unmodifiableSortedMap(new TreeMap<>(environment));
        ports = Collections.unmodifiableSortedMap(new TreeMap<>(ports));
        container = Collections.unmodifiableSortedMap(new TreeMap<>(container));
    }

    /** Resolves a model's instance for a target whose store holds its package at {@code packagePath}. */
    public static ServiceInstance of(InstanceSpec spec, String profile, Optional<Path> packagePath, Path instanceDirectory,
            Path stateDirectory) {
        String packageText = packagePath.map(Path::toString).orElse("");
        Optional<Activation> activation = spec.service().onDemand()
                .map((OnDemand o) -> new Activation(spec.listen(), o.idleTimeout(), o.accept(), o.pass(), o.startLimit(),
                        o.startsAtOnce()));
        SortedMap<String, String> environment = new TreeMap<>(spec.environment(packageText));
        if (!spec.service().knobs().isEmpty()) {
            environment.put(ServiceStateDirectory.KNOBS_VARIABLE,
                    ServiceStateDirectory.knobs(stateDirectory, profile, spec.service().name()).toString());
        }
        spec.service().state().ifPresent(state -> environment.put(dev.beckon.idle.WarmState.PATH_VARIABLE,
                WarmStateFiles.region(stateDirectory, profile, spec.service().name()).toString()));
        return new ServiceInstance(profile, spec.service().name(), spec.target().name(), spec.service().type(),
                spec.service().description(), spec.exec(packageText), environment, spec.ports(), activation,
                packagePath, instanceDirectory, spec.target().containers().get(spec.service().type()).settings(), stateDirectory,
                Optional.of(spec.service().stopTimeout()), InstanceReadiness.of(spec, packageText), spec.service().limits(),
                spec.service().hardening(),
                List.copyOf(spec.service().secrets().keySet()));
    }

    /** The same instance with the command line {@code exec}. */
    public ServiceInstance withExec(List<String> exec) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** The same instance activated by {@code onDemand}. */
    public ServiceInstance withOnDemand(Optional<Activation> onDemand) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** The same instance with {@code stopTimeout}. */
    public ServiceInstance withStopTimeout(Optional<Duration> stopTimeout) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** The same instance with {@code limits}. */
    public ServiceInstance withLimits(Limits limits) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** The same instance with the secrets named {@code secrets}. */
    public ServiceInstance withSecrets(List<String> secrets) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** The same instance with {@code readiness}. */
    public ServiceInstance withReadiness(InstanceReadiness readiness) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** The same instance confined by {@code hardening}. */
    public ServiceInstance withHardening(Hardening hardening) {
        return new ServiceInstance(profile, service, target, type, description, exec, environment, ports, onDemand, packagePath,
                instanceDirectory, container, stateDirectory, stopTimeout, readiness, limits, hardening, secrets);
    }

    /** {@code SERVICE@TARGET}, how messages name an instance. */
    public String id() {
        return service + "@" + target;
    }

    /** Whether the service manager starts it on the first connection rather than at activation. */
    public boolean isOnDemand() {
        return onDemand.filter(a -> !a.startsAtOnce()).isPresent();
    }

    /**
     * Whether the service manager holds its listeners (on demand, or always on with {@code sockets}), so
     * that a restart queues connections instead of refusing them.
     */
    public boolean holdsSockets() {
        return onDemand.isPresent();
    }
}
