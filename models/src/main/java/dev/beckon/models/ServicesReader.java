package dev.beckon.models;

import dev.beckon.models.ModelDraft.TemplateUse;
import dev.beckon.models.TomlFile.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Reads {@code services.toml}: each service as written, its templates parsed but not yet resolved. */
final class ServicesReader {
    private static final Pattern ENVIRONMENT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> SERVICE_KEYS = union(
            Set.of("type", "description", "package", "exec", "environment", "ports", "depends-on", "on-demand", "sockets",
                    "stop-timeout", "class-data-archive", "knobs", "state", "limits", "hardening", "secrets"), ReadinessReader.SERVICE_KEYS);
    private static final Set<String> ON_DEMAND_KEYS = union(
            Set.of("listen", "idle-timeout", "accept", "pass", "start-limit-burst", "start-limit-interval"), ReadinessReader.ON_DEMAND_KEYS);
    /** The always-on service's manager-held listeners: the same listen and pass as on demand, nothing about idling. */
    private static final Set<String> SOCKETS_KEYS = Set.of("listen", "pass");

    private final ModelDraft draft;
    private final Diagnostics diagnostics;
    private final ValueReader values;

    ServicesReader(ModelDraft draft, ValueReader values) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
        this.values = values;
    }

    void read(TomlFile file) {
        Node root = file.root();
        values.checkKeys(root, Set.of("services"), "the services file");
        root.get("services").flatMap(values::table).ifPresent(all -> {
            for (String name : all.keys()) {
                Node node = all.get(name).orElseThrow();
                draft.declaredServices.add(name);
                if (values.checkName(node, name, "service") && values.table(node).isPresent()) {
                    readService(name, node).ifPresent(s -> draft.services.put(name, s));
                }
            }
        });
    }

    private Optional<Service> readService(String name, Node node) {
        values.checkKeys(node, SERVICE_KEYS, "service " + name);
        Optional<String> type = values.required(node, "type").flatMap(values::string).filter(t -> {
            if (!ValueReader.NAME.matcher(t).matches()) {
                diagnostics.error(node.get("type").orElseThrow().where(), "type " + Messages.quote(t)
                        + " is not a module name: systemd-unit, inetd, xinetd, or an external module named like [a-z0-9][a-z0-9-]*");
                return false;
            }
            String nearBuiltIn = ModelLoader.BUILT_IN_TYPES.contains(t) ? "" : ModelLoader.BUILT_IN_TYPES.stream()
                    .filter(b -> b.startsWith(t + "-")).map(b -> " (did you mean " + b + "?)").findFirst()
                    .orElse(Suggestions.didYouMean(t, new TreeSet<>(ModelLoader.BUILT_IN_TYPES)));
            if (!nearBuiltIn.isEmpty()) {
                // Taken for an external module, it would only fail later, at a container no target offers.
                diagnostics.error(node.get("type").orElseThrow().where(), "unknown type " + t + nearBuiltIn);
                return false;
            }
            return true;
        });
        String description = node.get("description").flatMap(values::string).orElse("");
        if (type.filter("systemd-unit"::equals).isPresent() && !description.isEmpty()) {
            long line = "Description=".length() + SystemdLimits.textLength(description) + InstanceResolver.ROOM_FOR_BECKON;
            if (line >= SystemdLimits.LONG_LINE_MAX) {
                diagnostics.error(node.get("description").orElseThrow().where(), "the description of service " + name + " takes "
                        + line + " bytes on its line of the unit file, and systemd refuses a unit with a line of "
                        + SystemdLimits.LONG_LINE_MAX + " bytes or more; shorten it");
            }
        }
        Optional<Path> packagePath = node.get("package").flatMap(p -> values.string(p).flatMap(text -> packagePath(p, text)));

        List<Template> exec = new ArrayList<>();
        Optional<Node> execNode = node.get("exec");
        execNode.ifPresent(e -> draft.execLocations.put(name, e.where()));
        if (execNode.isEmpty() && type.filter(ModelLoader.BUILT_IN_TYPES::contains).isPresent()) {
            diagnostics.error(node.keyWhere(), "service " + name + " has no exec: the command line that starts it, "
                    + "like exec = [\"java\", \"-jar\", \"{package}\"]");
        }
        execNode.flatMap(values::array).ifPresent(list -> {
            if (list.elements().isEmpty()) {
                diagnostics.error(list.where(), "exec of service " + name + " is empty; it needs at least the program to run");
            }
            for (Node argument : list.elements()) {
                values.string(argument).filter(text -> values.fitsInOneArgument(argument, text, text))
                        .flatMap(text -> template(name, argument, text, false)).ifPresent(exec::add);
            }
            if (!list.elements().isEmpty() && list.elements().get(0).json().asText().isEmpty()) {
                diagnostics.error(list.elements().get(0).where(), "the program in exec of service " + name + " is empty");
            }
        });

        SortedMap<String, Template> environment = new TreeMap<>();
        node.get("environment").flatMap(values::table).ifPresent(env -> {
            for (String variable : env.keys()) {
                Node value = env.get(variable).orElseThrow();
                if (!ENVIRONMENT_NAME.matcher(variable).matches()) {
                    diagnostics.error(value.keyWhere(), "environment variable name " + Messages.quote(variable)
                            + " must be letters, digits and underscores, not starting with a digit");
                    continue;
                }
                if (variable.startsWith("LISTEN_") || variable.equals("NOTIFY_SOCKET") || variable.equals("WATCHDOG_USEC")
                        || variable.startsWith("BECKON_") || variable.equals("CREDENTIALS_DIRECTORY")) {
                    diagnostics.error(value.keyWhere(), "environment variable " + variable
                            + " is set by beckon or the service manager, not by the model");
                    continue;
                }
                values.scalarText(value).filter(text -> values.fitsInOneArgument(value, text, variable + "=" + text))
                        .flatMap(text -> template(name, value, text, false)).ifPresent(t -> {
                    environment.put(variable, t);
                    draft.environmentLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(variable, value.where());
                });
            }
        });

        SortedMap<String, PortRequest> ports = new TreeMap<>();
        node.get("ports").flatMap(values::table).ifPresent(table -> {
            for (String portName : table.keys()) {
                Node value = table.get(portName).orElseThrow();
                if (!values.checkName(value, portName, "port")) {
                    continue;
                }
                if (value.json().isTextual() && value.json().asText().equals("auto")) {
                    ports.put(portName, new PortRequest.Auto());
                    draft.portLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(portName, value.where());
                } else if (value.json().isIntegralNumber()) {
                    long number = value.json().asLong();
                    // asLong() wraps a number too large for a long; the message shows it as written.
                    if (!value.json().canConvertToLong() || number < 1 || number > 65535) {
                        diagnostics.error(value.where(), "port " + value.json().asText() + " is outside 1-65535");
                    } else {
                        ports.put(portName, new PortRequest.Fixed((int) number));
                    }
                    draft.portLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(portName, value.where());
                } else {
                    diagnostics.error(value.where(), value.display() + " must be a port number or \"auto\", not "
                            + value.typeName());
                }
            }
        });

        Set<String> dependsOn = new LinkedHashSet<>();
        node.get("depends-on").flatMap(values::array).ifPresent(list -> {
            for (Node entry : list.elements()) {
                values.string(entry).ifPresent(dependency -> {
                    if (!dependsOn.add(dependency)) {
                        diagnostics.error(entry.where(), "service " + name + " lists " + Messages.name(dependency) + " twice in depends-on");
                    } else {
                        draft.dependencyLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(dependency, entry.where());
                    }
                });
            }
        });

        Optional<OnDemand> onDemand = node.get("on-demand").flatMap(values::table).flatMap(table -> readOnDemand(name, table, false));
        Optional<OnDemand> sockets = node.get("sockets").flatMap(values::table).flatMap(table -> readOnDemand(name, table, true));
        HeldSockets.check(name, node, type, onDemand.isPresent(), diagnostics);
        onDemand = onDemand.or(() -> sockets);
        java.time.Duration stopTimeout = HeldSockets.stopTimeout(name, node, type, diagnostics);

        Readiness readiness = new ReadinessReader(diagnostics, values).read(name, node, type, (n, text) -> template(name, n, text, false));

        List<Knob> knobs = node.get("knobs").flatMap(values::table).map(t -> new KnobsReader(diagnostics, values).read(name, t))
                .orElse(List.of());

        Limits limits = node.get("limits").flatMap(values::table)
                .map(table -> new LimitsReader(diagnostics, values).read(name, table, type, node.get("on-demand"))).orElse(Limits.NONE);

        Hardening hardening = new HardeningReader(diagnostics, values).read(name, node, type, !ports.isEmpty() || !dependsOn.isEmpty()
                || onDemand.filter(o -> o.listen().stream().anyMatch(l -> !l.source().startsWith("/"))).isPresent());

        if (type.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Service(name, type.get(), description, packagePath, exec, environment, ports, List.copyOf(dependsOn),
                onDemand, node.keyWhere(), stopTimeout, readiness, node.get("class-data-archive").flatMap(values::bool), knobs,
                new StateReader(diagnostics, values).read(name, node), limits, hardening,
                node.get("secrets").flatMap(values::table).map(t -> new SecretsReader(diagnostics, values).read(name, t)).orElse(null)));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /** Reads {@code [services.X.on-demand]}, or with {@code startsAtOnce} {@code [services.X.sockets]}: the same listeners. */
    private Optional<OnDemand> readOnDemand(String service, Node table, boolean startsAtOnce) {
        values.checkKeys(table, startsAtOnce ? SOCKETS_KEYS : ON_DEMAND_KEYS,
                (startsAtOnce ? "the sockets table" : "the on-demand table") + " of service " + service);
        List<Template> listen = new ArrayList<>();
        values.required(table, "listen").flatMap(values::array).ifPresent(list -> {
            if (list.elements().isEmpty()) {
                diagnostics.error(list.where(), (startsAtOnce ? "the sockets of service " + service + " listen"
                        : "on-demand service " + service + " listens") + " nowhere; give at least one port, HOST:PORT or Unix socket path");
            }
            for (Node entry : list.elements()) {
                Optional<Template> address = entry.json().isIntegralNumber()
                        ? template(service, entry, entry.json().asText(), true)
                        : values.string(entry).flatMap(text -> template(service, entry, text, true));
                address.ifPresent(t -> {
                    listen.add(t);
                    draft.listenLocations.computeIfAbsent(service, k -> new ArrayList<>()).add(entry.where());
                });
            }
        });
        Duration idleTimeout = Duration.ZERO;
        Optional<Node> timeoutNode = table.get("idle-timeout");
        if (timeoutNode.isPresent()) {
            Node timeout = timeoutNode.get();
            if (timeout.json().isIntegralNumber() && timeout.json().asLong() == 0) {
                idleTimeout = Duration.ZERO;
            } else if (timeout.json().isTextual()) {
                try {
                    idleTimeout = Durations.parse(timeout.json().asText());
                } catch (IllegalArgumentException e) {
                    diagnostics.error(timeout.where(), "idle-timeout " + e.getMessage());
                }
            } else {
                diagnostics.error(timeout.where(), "idle-timeout must be a duration like \"30s\" or \"5m\" (or 0 for never), not "
                        + timeout.typeName());
            }
        }
        boolean accept = table.get("accept").flatMap(values::bool).orElse(false);
        SocketPassing pass = table.get("pass").flatMap(node -> socketPassing(node, listen.size())).orElse(SocketPassing.DEFAULT);
        return Optional.of(new OnDemand(listen, idleTimeout, accept, pass, startLimit(table, idleTimeout), startsAtOnce));
    }

    /** The model's start limit, each part validated where it is written; what it leaves out is derived. */
    private StartLimit startLimit(Node table, Duration idleTimeout) {
        OptionalInt burst = OptionalInt.empty();
        Optional<Node> burstNode = table.get("start-limit-burst");
        if (burstNode.isPresent()) {
            Node node = burstNode.get();
            if (node.json().isIntegralNumber() && node.json().asLong() >= 1 && node.json().asLong() <= StartLimit.MAX_BURST) {
                burst = OptionalInt.of(node.json().asInt());
            } else {
                diagnostics.error(node.where(), "start-limit-burst must be a number of starts from 1 to " + StartLimit.MAX_BURST
                        + ", not " + (node.json().isIntegralNumber() ? node.json().asText() : node.typeName()));
            }
        }
        Optional<Duration> interval = Optional.empty();
        Optional<Node> intervalNode = table.get("start-limit-interval");
        if (intervalNode.isPresent()) {
            Node node = intervalNode.get();
            Optional<String> text = values.string(node);
            if (text.isPresent()) {
                try {
                    Duration parsed = Durations.parse(text.get());
                    if (parsed.compareTo(StartLimit.MIN_INTERVAL) < 0 || parsed.compareTo(StartLimit.MAX_INTERVAL) > 0) {
                        diagnostics.error(node.where(), "start-limit-interval must be from 1s to 1h, not " + Durations.format(parsed));
                    } else {
                        interval = Optional.of(parsed);
                    }
                } catch (IllegalArgumentException e) {
                    diagnostics.error(node.where(), "start-limit-interval " + e.getMessage());
                }
            }
        }
        return StartLimit.of(idleTimeout, burst, interval);
    }

    private Optional<SocketPassing> socketPassing(Node node, int listeners) {
        Optional<SocketPassing> pass = values.string(node).flatMap(text -> {
            Optional<SocketPassing> named = SocketPassing.named(text);
            if (named.isEmpty()) {
                diagnostics.error(node.where(), "pass must be \"listen-fds\" (sockets from fd 3, LISTEN_FDS, as sd_listen_fds(3))"
                        + " or \"stdin\" (one socket on fd 0, inetd style), not " + Messages.quote(text));
            }
            return named;
        });
        if (pass.equals(Optional.of(SocketPassing.STDIN)) && listeners > 1) {
            diagnostics.error(node.where(), "pass = \"stdin\" hands over one socket, but the service listens on " + listeners
                    + " addresses; use pass = \"listen-fds\" or listen on one");
        }
        return pass;
    }

    private Optional<Path> packagePath(Node node, String text) {
        if (text.isEmpty() || text.indexOf('\0') >= 0) {
            diagnostics.error(node.where(), "package must name a file or directory");
            return Optional.empty();
        }
        Path base = node.file().path().toAbsolutePath().getParent();
        Path resolved = base.resolve(text).normalize();
        if (resolved.getFileName() == null) {
            // Its name is part of its name in the store, and the whole file system is no package.
            diagnostics.error(node.where(), "package " + Messages.quote(text) + " is the root directory; name the file or directory to copy");
            return Optional.empty();
        }
        if (!Files.exists(resolved)) {
            diagnostics.error(node.where(), "package " + text + " does not exist (looked for " + resolved
                    + "); build it first, or fix the path, which is relative to " + base);
            return Optional.empty();
        }
        try {
            Optional<String> unstorable = PackageFileKinds.firstUnstorable(resolved);
            if (unstorable.isPresent()) {
                diagnostics.error(node.where(), "package " + Messages.quote(text) + ": " + unstorable.get() + "; remove it from the package");
                return Optional.empty();
            }
        } catch (java.io.IOException e) {
            diagnostics.error(node.where(), "package " + Messages.quote(text) + " cannot be read: " + e.getMessage());
            return Optional.empty();
        }
        return Optional.of(resolved);
    }

    private Optional<Template> template(String service, Node node, String text, boolean isListen) {
        if (text.indexOf('\0') >= 0) {
            diagnostics.error(node.where(), node.display() + " contains a NUL character, which no program argument can carry");
            return Optional.empty();
        }
        try {
            Template template = Template.parse(text);
            if (isListen && template.placeholders().isEmpty()) {
                ListenAddress.parse(text);
            }
            draft.templateUses.add(new TemplateUse(service, template, node.where(), isListen));
            return Optional.of(template);
        } catch (IllegalArgumentException e) {
            diagnostics.error(node.where(), e.getMessage());
            return Optional.empty();
        }
    }
}
