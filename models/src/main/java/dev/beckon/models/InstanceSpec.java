package dev.beckon.models;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A service resolved for one target: its ports assigned, its listen addresses and dependency
 * endpoints known. Only {@code {package}} stays open, because the package's path on the target is
 * known only once it is in the target's store.
 *
 * @param dependencies the endpoints of the dependencies this instance connects to, by service name;
 *     a dependency that runs on several other targets and is not referred to by a placeholder is
 *     only ordered against, so it has no entry
 */
public record InstanceSpec(
        Service service,
        Target target,
        SortedMap<String, Integer> ports,
        List<ListenAddress> listen,
        SortedMap<String, Endpoint> dependencies) {

    /** Where a dependency of this instance runs and listens. */
    public record Endpoint(String target, String hostname, SortedMap<String, Integer> ports) {
        public Endpoint {
            ports = Immutables.sortedMap(ports);
        }
    }

    public InstanceSpec {
        ports = Immutables.sortedMap(ports);
        listen = List.copyOf(listen);
        dependencies = Immutables.sortedMap(dependencies);
    }

    /** {@code SERVICE@TARGET}, how messages name an instance. */
    public String id() {
        return service.name() + "@" + target.name();
    }

    /** The command line, with {@code {package}} standing for {@code packagePath}. */
    public List<String> exec(String packagePath) {
        return service.exec().stream().map(t -> render(t, packagePath)).toList();
    }

    /** The environment, with {@code {package}} standing for {@code packagePath}. */
    public SortedMap<String, String> environment(String packagePath) {
        SortedMap<String, String> rendered = new TreeMap<>();
        service.environment().forEach((name, value) -> rendered.put(name, render(value, packagePath)));
        return Immutables.sortedMap(rendered);
    }

    public String render(Template template, String packagePath) {
        return template.render(placeholder -> value(placeholder, packagePath));
    }

    private String value(Placeholder placeholder, String packagePath) {
        String value;
        if (placeholder instanceof Placeholder.PackagePath) {
            value = packagePath;
        } else if (placeholder instanceof Placeholder.Port p) {
            value = String.valueOf(ports.get(p.name()));
        } else if (placeholder instanceof Placeholder.DependencyHost d) {
            Endpoint endpoint = dependencies.get(d.service());
            value = endpoint == null ? null : endpoint.hostname();
        } else if (placeholder instanceof Placeholder.DependencyPort d) {
            Endpoint endpoint = dependencies.get(d.service());
            value = endpoint == null ? null : String.valueOf(endpoint.ports().get(d.port()));
        } else if (placeholder instanceof Placeholder.TargetName) {
            value = target.name();
        } else if (placeholder instanceof Placeholder.TargetHostname) {
            value = target.hostname();
        } else if (placeholder instanceof Placeholder.TargetProperty p) {
            value = target.properties().get(p.key());
        } else {
            value = null;
        }
        if (value == null || value.equals("null")) {
            throw new IllegalStateException(placeholder + " of " + id() + " has no value (this is a bug: validation should have caught it)");
        }
        return value;
    }
}
