package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Reads {@code infrastructure.toml}: the targets, their containers and properties. */
final class InfrastructureReader {
    private static final Pattern PROPERTY_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern PORT_RANGE = Pattern.compile("([0-9]{1,5})-([0-9]{1,5})");
    private static final Set<String> TARGET_KEYS =
            Set.of("host", "hostname", "state-dir", "containers", "properties", "auto-ports");
    /** Settings of the built-in containers, each with its default ({@code null}: none). */
    private static final Map<String, Map<String, String>> CONTAINER_DEFAULTS = Map.of(
            "systemd-unit", Map.of("scope", "user"),
            "inetd", Map.of("config", "/etc/inetd.conf", "pid-file", "/run/inetd.pid"),
            "xinetd", Map.of("directory", "/etc/xinetd.d", "pid-file", "/run/xinetd.pid"));
    /**
     * Settings of the built-in containers that have no default. systemd-unit's are for a service
     * manager that is not where it usually is, such as the one {@code beckon sandbox} runs.
     */
    private static final Map<String, Set<String>> CONTAINER_OPTIONAL = Map.of(
            "systemd-unit", Set.of("bus", "journal-directory", ContainerDuration.STUCK_AFTER.key()));

    private final ModelDraft draft;
    private final Diagnostics diagnostics;
    private final ValueReader values;

    InfrastructureReader(ModelDraft draft, ValueReader values) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
        this.values = values;
    }

    void read(TomlFile file) {
        Node root = file.root();
        values.checkKeys(root, Set.of("targets", RolloutReader.TABLE), "the infrastructure file");
        root.get("targets").flatMap(values::table).ifPresent(all -> {
            for (String name : all.keys()) {
                Node node = all.get(name).orElseThrow();
                draft.declaredTargets.add(name);
                if (values.checkName(node, name, "target") && values.table(node).isPresent()) {
                    readTarget(name, node).ifPresent(t -> draft.targets.put(name, t));
                }
            }
        });
        new RolloutReader(draft, values).read(root);
    }

    private Optional<Target> readTarget(String name, Node node) {
        values.checkKeys(node, TARGET_KEYS, "target " + name);
        Optional<TargetHost> host = values.required(node, "host").flatMap(h -> values.string(h).flatMap(text -> {
            try {
                return Optional.of(TargetHost.parse(text));
            } catch (IllegalArgumentException e) {
                diagnostics.error(h.where(), "host " + e.getMessage());
                return Optional.empty();
            }
        }));
        Optional<String> hostname = node.get("hostname").flatMap(h -> values.string(h).filter(text -> {
            boolean valid = ListenAddress.HOSTNAME.matcher(text).matches()
                    || (ListenAddress.IPV6.matcher(text).matches() && text.contains(":"));
            if (!valid) {
                diagnostics.error(h.where(), "hostname " + Messages.quote(text) + " is not a host name or IP address");
            }
            return valid;
        }));
        Optional<Path> stateDir = node.get("state-dir").flatMap(d -> values.string(d).flatMap(text -> absolutePath(d, text)));

        SortedMap<String, Container> containers = new TreeMap<>();
        node.get("containers").flatMap(values::table).ifPresent(table -> {
            for (String type : table.keys()) {
                Node container = table.get(type).orElseThrow();
                if (values.checkName(container, type, "container") && values.table(container).isPresent()) {
                    containers.put(type, readContainer(name, type, container));
                }
            }
        });
        if (node.get("containers").isEmpty()) {
            diagnostics.error(node.keyWhere(), "target " + name + " offers no containers; add for example "
                    + "[targets." + name + ".containers.systemd-unit] with scope = \"user\"");
        }

        SortedMap<String, String> properties = new TreeMap<>();
        node.get("properties").flatMap(values::table).ifPresent(table -> {
            for (String key : table.keys()) {
                Node value = table.get(key).orElseThrow();
                if (!PROPERTY_NAME.matcher(key).matches()) {
                    diagnostics.error(value.keyWhere(), "property name " + Messages.quote(key) + " may only hold letters, digits, _ and -");
                    continue;
                }
                values.scalarText(value).ifPresent(text -> properties.put(key, text));
            }
        });

        PortRange autoPorts = node.get("auto-ports").flatMap(values::string).flatMap(text -> {
            var m = PORT_RANGE.matcher(text);
            int first = m.matches() ? Integer.parseInt(m.group(1)) : -1;
            int last = m.matches() ? Integer.parseInt(m.group(2)) : -1;
            if (first < 1 || last > 65535 || first > last) {
                diagnostics.error(node.get("auto-ports").orElseThrow().where(),
                        "auto-ports " + Messages.quote(text) + " must be a range FIRST-LAST within 1-65535, like \"20000-29999\"");
                return Optional.empty();
            }
            return Optional.of(new PortRange(first, last));
        }).orElse(PortRange.DEFAULT);

        if (host.isEmpty()) {
            return Optional.empty();
        }
        boolean systemScope = Optional.ofNullable(containers.get("systemd-unit")).flatMap(c -> c.setting("scope"))
                .filter("system"::equals).isPresent();
        if (!host.get().isLocal() && stateDir.isEmpty() && !systemScope) {
            diagnostics.error(node.keyWhere(), "target " + name + " is reached over SSH and works at user scope: give it a "
                    + "state-dir, an absolute path on that machine (such as \"/home/USER/.local/state/beckon\"); beckon cannot "
                    + "know where the remote user's home is");
        }
        String reachableAs = hostname.orElseGet(() -> host.get().isLocal() ? "127.0.0.1" : host.get().address());
        return Optional.of(new Target(name, host.get(), reachableAs, stateDir, containers, properties, autoPorts, node.keyWhere()));
    }

    private Container readContainer(String target, String type, Node node) {
        Map<String, String> defaults = CONTAINER_DEFAULTS.get(type);
        SortedMap<String, String> settings = new TreeMap<>();
        Set<String> known = new TreeSet<>();
        if (defaults != null) {
            known.addAll(defaults.keySet());
            known.addAll(CONTAINER_OPTIONAL.getOrDefault(type, Set.of()));
            values.checkKeys(node, known, "the " + type + " container of target " + target);
            settings.putAll(defaults);
        }
        for (String key : node.keys()) {
            Node value = node.get(key).orElseThrow();
            if (defaults != null && !known.contains(key)) {
                continue;
            }
            if (!PROPERTY_NAME.matcher(key).matches()) {
                diagnostics.error(value.keyWhere(), "container setting name " + Messages.quote(key) + " may only hold letters, digits, _ and -");
                continue;
            }
            values.scalarText(value).ifPresent(text -> {
                if (defaults == null && key.equals(ContainerDuration.LOCK_TIMEOUT.key()) && ContainerDuration.LOCK_TIMEOUT.problem(text).isPresent()) {
                    diagnostics.error(value.where(), ContainerDuration.LOCK_TIMEOUT.problem(text).get());
                } else if (defaults == null) {
                    settings.put(key, text);
                } else if (type.equals("systemd-unit") && key.equals("scope") && !Set.of("user", "system").contains(text)) {
                    diagnostics.error(value.where(), "scope must be \"user\" (the user's service manager) or \"system\" (PID 1), not "
                            + Messages.quote(text));
                } else if (key.equals(ContainerDuration.STUCK_AFTER.key())) {
                    ContainerDuration.STUCK_AFTER.problem(text).ifPresentOrElse(problem -> diagnostics.error(value.where(), problem),
                            () -> settings.put(key, text));
                } else if (key.equals("bus")) {
                    if (!text.matches("unix:[A-Za-z0-9=,/._@-]+")) {
                        diagnostics.error(value.where(), "bus must be a D-Bus unix address like unix:path=/run/user/1000/bus, not "
                                + Messages.quote(text));
                    } else {
                        settings.put(key, text);
                    }
                } else if (!key.equals("scope")) {
                    absolutePath(value, text).ifPresent(path -> settings.put(key, path.toString()));
                } else {
                    settings.put(key, text);
                }
            });
        }
        return new Container(type, settings);
    }

    private Optional<Path> absolutePath(Node node, String text) {
        if (!text.startsWith("/") || text.codePoints().anyMatch(Messages::isControl)) {
            diagnostics.error(node.where(), node.display() + " must be an absolute path, not " + Messages.quote(text));
            return Optional.empty();
        }
        Path path = Path.of(text);
        if (!path.normalize().equals(path) || text.contains("/../") || text.endsWith("/..")) {
            diagnostics.error(node.where(), node.display() + " must be a normalized path (no '..'), not " + Messages.quote(text));
            return Optional.empty();
        }
        return Optional.of(path);
    }
}
