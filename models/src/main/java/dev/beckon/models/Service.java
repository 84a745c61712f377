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
 * @param onDemand the listeners its service manager holds ({@code on-demand} or {@code sockets}); empty: it binds its own
 * @param definedAt where its table starts, for messages about it
 * @param stopTimeout how long a stopping instance may take to finish the connections it has ({@code stop-timeout})
 * @param readiness when an activation of it is done ({@link Readiness#NONE} when the model says nothing)
 * @param classDataArchive {@code class-data-archive}: whether beckon makes and uses a class-data archive for it
 *     ({@code true}: its exec runs a JVM launcher, whatever it is called; {@code false}: never); empty: when its
 *     exec runs a program named {@code java}
 * @param knobs its runtime knobs ({@code [services.X.knobs]}), in the order declared: the order of their slots
 * @param state its warm state, when it declares one ({@code [services.X.state]})
 * @param limits its resource limits ({@code [services.X.limits]}), {@link Limits#NONE} when it has none
 * @param hardening how its service manager confines it ({@code [services.X.hardening]} turns measures off);
 *     {@link Hardening#NONE} for a module that confines nothing
 * @param secrets its secrets ({@code [services.X.secrets]}) by name: where each value is read, never the value
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
        java.time.Duration stopTimeout,
        Readiness readiness,
        Optional<Boolean> classDataArchive,
        List<Knob> knobs,
        Optional<WarmStateSpec> state,
        Limits limits,
        Hardening hardening,
        SortedMap<String, Secret> secrets) {

    /** What {@code stop-timeout} is when the model does not say: long enough for a request in flight to finish. */
    public static final java.time.Duration DEFAULT_STOP_TIMEOUT = java.time.Duration.ofSeconds(30);

    /** A service with the defaults of every setting that came after {@code on-demand}. */
    public Service(String name, String type, String description, Optional<Path> packagePath, List<Template> exec,
            SortedMap<String, Template> environment, SortedMap<String, PortRequest> ports, List<String> dependsOn,
            Optional<OnDemand> onDemand, SourceLocation definedAt) {
        this(name, type, description, packagePath, exec, environment, ports, dependsOn, onDemand, definedAt, DEFAULT_STOP_TIMEOUT,
                Readiness.NONE, Optional.empty(), List.of(), Optional.empty(), Limits.NONE);
    }

    /** A service with the settings it had before {@code hardening} and {@code secrets}, which it gets none of. */
    public Service(String name, String type, String description, Optional<Path> packagePath, List<Template> exec,
            SortedMap<String, Template> environment, SortedMap<String, PortRequest> ports, List<String> dependsOn,
            Optional<OnDemand> onDemand, SourceLocation definedAt, java.time.Duration stopTimeout, Readiness readiness,
            Optional<Boolean> classDataArchive, List<Knob> knobs, Optional<WarmStateSpec> state, Limits limits) {
        this(name, type, description, packagePath, exec, environment, ports, dependsOn, onDemand, definedAt, stopTimeout, readiness,
                classDataArchive, knobs, state, limits, Hardening.NONE, new java.util.TreeMap<>());
    }

    /** A service without secrets, as services were before they existed. */
    public Service(String name, String type, String description, Optional<Path> packagePath, List<Template> exec,
            SortedMap<String, Template> environment, SortedMap<String, PortRequest> ports, List<String> dependsOn,
            Optional<OnDemand> onDemand, SourceLocation definedAt, java.time.Duration stopTimeout, Readiness readiness,
            Optional<Boolean> classDataArchive, List<Knob> knobs, Optional<WarmStateSpec> state, Limits limits,
            Hardening hardening) {
        this(name, type, description, packagePath, exec, environment, ports, dependsOn, onDemand, definedAt, stopTimeout, readiness,
                classDataArchive, knobs, state, limits, hardening, new java.util.TreeMap<>());
    }

    public Service {
        readiness = readiness == null ? Readiness.NONE : readiness;
        classDataArchive = classDataArchive == null ? Optional.empty() : classDataArchive;
        knobs = knobs == null ? List.of() : List.copyOf(knobs);
        limits = limits == null ? Limits.NONE : limits;
        hardening = hardening == null ? Hardening.NONE : hardening;
        secrets = Immutables.sortedMap(secrets == null ? new java.util.TreeMap<String, Secret>() : secrets);
        exec = List.copyOf(exec);
        environment = Immutables.sortedMap(environment);
        ports = Immutables.sortedMap(ports);
        dependsOn = List.copyOf(dependsOn);
    }

    /** Whether it is started by its first connection, not at activation. */
    public boolean startsOnDemand() {
        return onDemand.filter(o -> !o.startsAtOnce()).isPresent();
    }
}
