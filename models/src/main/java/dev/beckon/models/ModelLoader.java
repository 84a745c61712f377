package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * Reads the three model files into a validated {@link SystemModel}. Every problem in every file is
 * reported at once, each with its file, line and column; nothing is half-accepted.
 */
public final class ModelLoader {
    /** Service, target, port and container names: safe as unit names, file names and placeholders. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern ENVIRONMENT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PROPERTY_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern PORT_RANGE = Pattern.compile("([0-9]{1,5})-([0-9]{1,5})");
    /** Linux's {@code MAX_ARG_STRLEN} (32 pages of 4 KiB) less the terminating NUL. */
    private static final int MAX_ARGUMENT_BYTES = 32 * 4096 - 1;

    /** The activation modules that come with beckon; any other type names an external module. */
    public static final Set<String> BUILT_IN_TYPES = Set.of("systemd-unit", "inetd", "xinetd");

    private static final Set<String> SERVICE_KEYS =
            Set.of("type", "description", "package", "exec", "environment", "ports", "depends-on", "on-demand");
    private static final Set<String> ON_DEMAND_KEYS = Set.of("listen", "idle-timeout", "accept", "pass", "start-limit-burst", "start-limit-interval");
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
            "systemd-unit", Set.of("bus", "journal-directory"));

    private final Diagnostics diagnostics = new Diagnostics();
    private final ModelFiles files;
    private final Map<String, Service> services = new TreeMap<>();
    private final Map<String, Target> targets = new TreeMap<>();
    private final SortedMap<String, List<String>> distribution = new TreeMap<>();
    private final Map<String, Node> distributionNodes = new TreeMap<>();
    /** Where each thing a later check may complain about was written, by service and then name. */
    private final Map<String, Map<String, SourceLocation>> placementLocations = new TreeMap<>();
    private final Map<String, Map<String, SourceLocation>> dependencyLocations = new TreeMap<>();
    private final Map<String, Map<String, SourceLocation>> portLocations = new TreeMap<>();
    private final Map<String, List<SourceLocation>> listenLocations = new TreeMap<>();
    /** Every template with where it was written, checked once all files are read. */
    private final List<TemplateUse> templateUses = new ArrayList<>();
    /**
     * Every name declared, valid or not: a reference to a service whose definition has errors is not
     * also reported as a reference to an unknown service.
     */
    private final Set<String> declaredServices = new TreeSet<>();
    private final Set<String> declaredTargets = new TreeSet<>();
    /** Whether the file could be read at all; if not, references into it are not checked. */
    private boolean servicesKnown;
    private boolean targetsKnown;
    private boolean distributionKnown;

    private record TemplateUse(String service, Template template, SourceLocation where, boolean isListen) {}

    private final PortHints hints;

    private ModelLoader(ModelFiles files, PortHints hints) {
        this.files = files;
        this.hints = hints;
    }

    /** Loads {@code services.toml}, {@code infrastructure.toml} and {@code distribution.toml} from a directory. */
    public static SystemModel load(Path directory) throws InvalidModelException {
        return load(ModelFiles.in(directory));
    }

    /**
     * Loads a model from its three files.
     *
     * @throws InvalidModelException carrying every error found, in file order
     */
    public static SystemModel load(ModelFiles files) throws InvalidModelException {
        return load(files, PortHints.NONE);
    }

    /**
     * Loads a model whose {@code "auto"} ports keep the numbers they had where they are still free:
     * {@code hints} are the ports of the last deployment.
     *
     * @throws InvalidModelException carrying every error found, in file order
     */
    public static SystemModel load(ModelFiles files, PortHints hints) throws InvalidModelException {
        ModelLoader loader = new ModelLoader(files, hints);
        Optional<TomlFile> servicesFile = TomlFile.read(files.services(), loader.diagnostics);
        Optional<TomlFile> infrastructureFile = TomlFile.read(files.infrastructure(), loader.diagnostics);
        Optional<TomlFile> distributionFile = TomlFile.read(files.distribution(), loader.diagnostics);
        servicesFile.ifPresent(loader::readServices);
        infrastructureFile.ifPresent(loader::readInfrastructure);
        distributionFile.ifPresent(loader::readDistribution);
        loader.servicesKnown = servicesFile.isPresent();
        loader.targetsKnown = infrastructureFile.isPresent();
        loader.distributionKnown = distributionFile.isPresent();
        return loader.crossCheckAndResolve();
    }

    // ---- services.toml -------------------------------------------------------------------------

    private void readServices(TomlFile file) {
        Node root = file.root();
        checkKeys(root, Set.of("services"), "the services file");
        root.get("services").flatMap(this::table).ifPresent(all -> {
            for (String name : all.keys()) {
                Node node = all.get(name).orElseThrow();
                declaredServices.add(name);
                if (checkName(node, name, "service") && table(node).isPresent()) {
                    readService(name, node).ifPresent(s -> services.put(name, s));
                }
            }
        });
    }

    private Optional<Service> readService(String name, Node node) {
        checkKeys(node, SERVICE_KEYS, "service " + name);
        Optional<String> type = required(node, "type").flatMap(this::string).filter(t -> {
            if (!NAME.matcher(t).matches()) {
                diagnostics.error(node.get("type").orElseThrow().where(), "type " + Messages.quote(t)
                        + " is not a module name: systemd-unit, inetd, xinetd, or an external module named like [a-z0-9][a-z0-9-]*");
                return false;
            }
            String nearBuiltIn = BUILT_IN_TYPES.contains(t) ? "" : BUILT_IN_TYPES.stream().filter(b -> b.startsWith(t + "-"))
                    .map(b -> " (did you mean " + b + "?)").findFirst().orElse(didYouMean(t, new TreeSet<>(BUILT_IN_TYPES)));
            if (!nearBuiltIn.isEmpty()) {
                // Taken for an external module, it would only fail later, at a container no target offers.
                diagnostics.error(node.get("type").orElseThrow().where(), "unknown type " + t + nearBuiltIn);
                return false;
            }
            return true;
        });
        String description = node.get("description").flatMap(this::string).orElse("");
        Optional<Path> packagePath = node.get("package").flatMap(p -> string(p).flatMap(text -> packagePath(p, text)));

        List<Template> exec = new ArrayList<>();
        Optional<Node> execNode = node.get("exec");
        if (execNode.isEmpty() && type.filter(BUILT_IN_TYPES::contains).isPresent()) {
            diagnostics.error(node.keyWhere(), "service " + name + " has no exec: the command line that starts it, "
                    + "like exec = [\"java\", \"-jar\", \"{package}\"]");
        }
        execNode.flatMap(this::array).ifPresent(list -> {
            if (list.elements().isEmpty()) {
                diagnostics.error(list.where(), "exec of service " + name + " is empty; it needs at least the program to run");
            }
            for (Node argument : list.elements()) {
                string(argument).filter(text -> fitsInOneArgument(argument, text, text))
                        .flatMap(text -> template(name, argument, text, false)).ifPresent(exec::add);
            }
            if (!list.elements().isEmpty() && list.elements().get(0).json().asText().isEmpty()) {
                diagnostics.error(list.elements().get(0).where(), "the program in exec of service " + name + " is empty");
            }
        });

        SortedMap<String, Template> environment = new TreeMap<>();
        node.get("environment").flatMap(this::table).ifPresent(env -> {
            for (String variable : env.keys()) {
                Node value = env.get(variable).orElseThrow();
                if (!ENVIRONMENT_NAME.matcher(variable).matches()) {
                    diagnostics.error(value.keyWhere(), "environment variable name " + Messages.quote(variable)
                            + " must be letters, digits and underscores, not starting with a digit");
                    continue;
                }
                if (variable.startsWith("LISTEN_") || variable.equals("NOTIFY_SOCKET") || variable.equals("WATCHDOG_USEC")
                        || variable.startsWith("BECKON_")) {
                    diagnostics.error(value.keyWhere(), "environment variable " + variable
                            + " is set by beckon or the service manager, not by the model");
                    continue;
                }
                scalarText(value).filter(text -> fitsInOneArgument(value, text, variable + "=" + text))
                        .flatMap(text -> template(name, value, text, false)).ifPresent(t -> environment.put(variable, t));
            }
        });

        SortedMap<String, PortRequest> ports = new TreeMap<>();
        node.get("ports").flatMap(this::table).ifPresent(table -> {
            for (String portName : table.keys()) {
                Node value = table.get(portName).orElseThrow();
                if (!checkName(value, portName, "port")) {
                    continue;
                }
                if (value.json().isTextual() && value.json().asText().equals("auto")) {
                    ports.put(portName, new PortRequest.Auto());
                    portLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(portName, value.where());
                } else if (value.json().isIntegralNumber()) {
                    long number = value.json().asLong();
                    if (number < 1 || number > 65535) {
                        diagnostics.error(value.where(), "port " + number + " is outside 1-65535");
                    } else {
                        ports.put(portName, new PortRequest.Fixed((int) number));
                    }
                    portLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(portName, value.where());
                } else {
                    diagnostics.error(value.where(), value.display() + " must be a port number or \"auto\", not "
                            + describe(value));
                }
            }
        });

        List<String> dependsOn = new ArrayList<>();
        node.get("depends-on").flatMap(this::array).ifPresent(list -> {
            for (Node entry : list.elements()) {
                string(entry).ifPresent(dependency -> {
                    if (dependsOn.contains(dependency)) {
                        diagnostics.error(entry.where(), "service " + name + " lists " + Messages.name(dependency) + " twice in depends-on");
                    } else {
                        dependsOn.add(dependency);
                        dependencyLocations.computeIfAbsent(name, k -> new TreeMap<>()).put(dependency, entry.where());
                    }
                });
            }
        });

        Optional<OnDemand> onDemand = node.get("on-demand").flatMap(this::table).flatMap(table -> readOnDemand(name, table));

        if (type.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Service(name, type.get(), description, packagePath, exec, environment, ports, dependsOn,
                onDemand, node.keyWhere()));
    }

    private Optional<OnDemand> readOnDemand(String service, Node table) {
        checkKeys(table, ON_DEMAND_KEYS, "the on-demand table of service " + service);
        List<Template> listen = new ArrayList<>();
        required(table, "listen").flatMap(this::array).ifPresent(list -> {
            if (list.elements().isEmpty()) {
                diagnostics.error(list.where(), "on-demand service " + service
                        + " listens nowhere; give at least one port, HOST:PORT or Unix socket path");
            }
            for (Node entry : list.elements()) {
                Optional<Template> address = entry.json().isIntegralNumber()
                        ? template(service, entry, entry.json().asText(), true)
                        : string(entry).flatMap(text -> template(service, entry, text, true));
                address.ifPresent(t -> {
                    listen.add(t);
                    listenLocations.computeIfAbsent(service, k -> new ArrayList<>()).add(entry.where());
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
                        + describe(timeout));
            }
        }
        boolean accept = table.get("accept").flatMap(this::bool).orElse(false);
        SocketPassing pass = table.get("pass").flatMap(node -> socketPassing(node, listen.size())).orElse(SocketPassing.DEFAULT);
        return Optional.of(new OnDemand(listen, idleTimeout, accept, pass, startLimit(table, idleTimeout)));
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
                        + ", not " + (node.json().isIntegralNumber() ? node.json().asText() : describe(node)));
            }
        }
        Optional<Duration> interval = Optional.empty();
        Optional<Node> intervalNode = table.get("start-limit-interval");
        if (intervalNode.isPresent()) {
            Node node = intervalNode.get();
            try {
                Duration parsed = Durations.parse(string(node).orElseThrow(() -> new IllegalArgumentException("")));
                if (parsed.compareTo(StartLimit.MIN_INTERVAL) < 0 || parsed.compareTo(StartLimit.MAX_INTERVAL) > 0) {
                    diagnostics.error(node.where(), "start-limit-interval must be from 1s to 1h, not " + Durations.format(parsed));
                } else {
                    interval = Optional.of(parsed);
                }
            } catch (IllegalArgumentException e) {
                if (!e.getMessage().isEmpty()) {
                    diagnostics.error(node.where(), "start-limit-interval " + e.getMessage());
                }
            }
        }
        return StartLimit.of(idleTimeout, burst, interval);
    }

    private Optional<SocketPassing> socketPassing(Node node, int listeners) {
        Optional<SocketPassing> pass = string(node).flatMap(text -> {
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
            templateUses.add(new TemplateUse(service, template, node.where(), isListen));
            return Optional.of(template);
        } catch (IllegalArgumentException e) {
            diagnostics.error(node.where(), e.getMessage());
            return Optional.empty();
        }
    }

    // ---- infrastructure.toml -------------------------------------------------------------------

    private void readInfrastructure(TomlFile file) {
        Node root = file.root();
        checkKeys(root, Set.of("targets"), "the infrastructure file");
        root.get("targets").flatMap(this::table).ifPresent(all -> {
            for (String name : all.keys()) {
                Node node = all.get(name).orElseThrow();
                declaredTargets.add(name);
                if (checkName(node, name, "target") && table(node).isPresent()) {
                    readTarget(name, node).ifPresent(t -> targets.put(name, t));
                }
            }
        });
    }

    private Optional<Target> readTarget(String name, Node node) {
        checkKeys(node, TARGET_KEYS, "target " + name);
        Optional<TargetHost> host = required(node, "host").flatMap(h -> string(h).flatMap(text -> {
            try {
                return Optional.of(TargetHost.parse(text));
            } catch (IllegalArgumentException e) {
                diagnostics.error(h.where(), "host " + e.getMessage());
                return Optional.empty();
            }
        }));
        Optional<String> hostname = node.get("hostname").flatMap(h -> string(h).filter(text -> {
            boolean valid = ListenAddress.HOSTNAME.matcher(text).matches()
                    || (ListenAddress.IPV6.matcher(text).matches() && text.contains(":"));
            if (!valid) {
                diagnostics.error(h.where(), "hostname " + Messages.quote(text) + " is not a host name or IP address");
            }
            return valid;
        }));
        Optional<Path> stateDir = node.get("state-dir").flatMap(d -> string(d).flatMap(text -> absolutePath(d, text)));

        SortedMap<String, Container> containers = new TreeMap<>();
        node.get("containers").flatMap(this::table).ifPresent(table -> {
            for (String type : table.keys()) {
                Node container = table.get(type).orElseThrow();
                if (checkName(container, type, "container") && table(container).isPresent()) {
                    containers.put(type, readContainer(name, type, container));
                }
            }
        });
        if (node.get("containers").isEmpty()) {
            diagnostics.error(node.keyWhere(), "target " + name + " offers no containers; add for example "
                    + "[targets." + name + ".containers.systemd-unit] with scope = \"user\"");
        }

        SortedMap<String, String> properties = new TreeMap<>();
        node.get("properties").flatMap(this::table).ifPresent(table -> {
            for (String key : table.keys()) {
                Node value = table.get(key).orElseThrow();
                if (!PROPERTY_NAME.matcher(key).matches()) {
                    diagnostics.error(value.keyWhere(), "property name " + Messages.quote(key) + " may only hold letters, digits, _ and -");
                    continue;
                }
                scalarText(value).ifPresent(text -> properties.put(key, text));
            }
        });

        PortRange autoPorts = node.get("auto-ports").flatMap(this::string).flatMap(text -> {
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
            checkKeys(node, known, "the " + type + " container of target " + target);
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
            scalarText(value).ifPresent(text -> {
                if (defaults == null) {
                    settings.put(key, text);
                } else if (type.equals("systemd-unit") && key.equals("scope") && !Set.of("user", "system").contains(text)) {
                    diagnostics.error(value.where(), "scope must be \"user\" (the user's service manager) or \"system\" (PID 1), not "
                            + Messages.quote(text));
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

    // ---- distribution.toml ---------------------------------------------------------------------

    private void readDistribution(TomlFile file) {
        Node root = file.root();
        for (String service : root.keys()) {
            Node node = root.get(service).orElseThrow();
            array(node).ifPresent(list -> {
                List<String> placed = new ArrayList<>();
                for (Node entry : list.elements()) {
                    string(entry).ifPresent(target -> {
                        if (placed.contains(target)) {
                            diagnostics.error(entry.where(), "service " + service + " is placed on target " + Messages.name(target) + " twice");
                        } else {
                            placed.add(target);
                            placementLocations.computeIfAbsent(service, k -> new TreeMap<>()).put(target, entry.where());
                        }
                    });
                }
                distribution.put(service, List.copyOf(placed));
                distributionNodes.put(service, node);
            });
        }
    }

    // ---- across files --------------------------------------------------------------------------

    private SystemModel crossCheckAndResolve() throws InvalidModelException {
        checkDistribution();
        checkDependencies();
        List<String> order = activationOrder();
        checkTemplates();
        if (diagnostics.hasErrors()) {
            // Resolving ports and addresses on a broken model would only repeat what is already wrong.
            throw new InvalidModelException(diagnostics.sorted());
        }
        List<InstanceSpec> instances = resolveInstances(order);
        if (diagnostics.hasErrors()) {
            throw new InvalidModelException(diagnostics.sorted());
        }
        return new SystemModel(files, new TreeMap<>(services), new TreeMap<>(targets), distribution, order, instances);
    }

    private void checkDistribution() {
        distribution.forEach((service, placed) -> {
            Node node = distributionNodes.get(service);
            if (servicesKnown && !declaredServices.contains(service)) {
                diagnostics.error(node.keyWhere(), "unknown service " + Messages.name(service) + didYouMean(service, declaredServices)
                        + "; services are defined in " + files.services().getFileName());
            }
            Service definition = services.get(service);
            for (String targetName : placed) {
                Target target = targets.get(targetName);
                SourceLocation where = placementLocations.get(service).get(targetName);
                if (targetsKnown && !declaredTargets.contains(targetName)) {
                    diagnostics.error(where, "unknown target " + Messages.name(targetName) + didYouMean(targetName, declaredTargets)
                            + "; targets are defined in " + files.infrastructure().getFileName());
                } else if (target != null && definition != null && !target.containers().containsKey(definition.type())) {
                    diagnostics.error(where, "service " + service + " has type " + definition.type() + ", which target "
                            + targetName + " does not offer (its containers: " + String.join(", ", target.containers().keySet())
                            + "); add [targets." + targetName + ".containers." + definition.type() + "]");
                }
            }
        });
    }

    private void checkDependencies() {
        for (Service service : services.values()) {
            for (String dependency : service.dependsOn()) {
                SourceLocation where = dependencyLocations.get(service.name()).get(dependency);
                if (!declaredServices.contains(dependency)) {
                    diagnostics.error(where, "service " + service.name() + " depends on unknown service " + Messages.name(dependency)
                            + didYouMean(dependency, declaredServices));
                } else if (distributionKnown && !distribution.getOrDefault(service.name(), List.of()).isEmpty()
                        && distribution.getOrDefault(dependency, List.of()).isEmpty()) {
                    diagnostics.error(where, "service " + service.name() + " depends on " + dependency
                            + ", which distribution.toml places on no target");
                }
            }
        }
        reportCycles();
    }

    private void reportCycles() {
        Set<Set<String>> reported = new LinkedHashSet<>();
        for (String start : services.keySet()) {
            findCycle(start, new ArrayList<>(), new LinkedHashSet<>()).ifPresent(cycle -> {
                if (reported.add(new TreeSet<>(cycle))) {
                    String first = cycle.get(0);
                    String second = cycle.size() > 1 ? cycle.get(1) : first;
                    SourceLocation where = dependencyLocations.get(first).get(second);
                    List<String> shown = new ArrayList<>(cycle);
                    shown.add(first);
                    diagnostics.error(where, "dependency cycle: " + String.join(" -> ", shown));
                }
            });
        }
    }

    private Optional<List<String>> findCycle(String service, List<String> path, Set<String> done) {
        int seen = path.indexOf(service);
        if (seen >= 0) {
            return Optional.of(List.copyOf(path.subList(seen, path.size())));
        }
        if (!done.add(service) || !services.containsKey(service)) {
            return Optional.empty();
        }
        path.add(service);
        for (String dependency : services.get(service).dependsOn()) {
            Optional<List<String>> cycle = findCycle(dependency, path, done);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        return Optional.empty();
    }

    private List<String> activationOrder() {
        if (diagnostics.hasErrors()) {
            return List.of();
        }
        Map<String, Integer> waitingOn = new TreeMap<>();
        services.values().forEach(s -> waitingOn.put(s.name(), s.dependsOn().size()));
        TreeSet<String> ready = new TreeSet<>();
        waitingOn.forEach((name, count) -> {
            if (count == 0) {
                ready.add(name);
            }
        });
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String next = ready.pollFirst();
            order.add(next);
            for (Service dependant : services.values()) {
                if (dependant.dependsOn().contains(next) && waitingOn.merge(dependant.name(), -1, Integer::sum) == 0) {
                    ready.add(dependant.name());
                }
            }
        }
        return order;
    }

    private void checkTemplates() {
        for (TemplateUse use : templateUses) {
            Service service = services.get(use.service());
            if (service == null) {
                continue;
            }
            for (Placeholder placeholder : use.template().placeholders()) {
                checkPlaceholder(service, placeholder, use);
            }
        }
    }

    private void checkPlaceholder(Service service, Placeholder placeholder, TemplateUse use) {
        String name = service.name();
        if (placeholder instanceof Placeholder.PackagePath) {
            if (use.isListen()) {
                diagnostics.error(use.where(), "{package} cannot be part of a listen address");
            } else if (service.packagePath().isEmpty()) {
                diagnostics.error(use.where(), "{package} is used, but service " + name + " has no package");
            }
        } else if (placeholder instanceof Placeholder.Port p) {
            if (!service.ports().containsKey(p.name())) {
                diagnostics.error(use.where(), placeholder + ": service " + name + " has no port " + p.name()
                        + didYouMean(p.name(), service.ports().keySet()) + knownOrNone("its ports", service.ports().keySet()));
            }
        } else if (placeholder instanceof Placeholder.DependencyHost d) {
            checkDependencyReference(service, d.service(), placeholder, use);
        } else if (placeholder instanceof Placeholder.DependencyPort d) {
            if (checkDependencyReference(service, d.service(), placeholder, use)) {
                Service dependency = services.get(d.service());
                if (!dependency.ports().containsKey(d.port())) {
                    diagnostics.error(use.where(), placeholder + ": service " + d.service() + " has no port " + d.port()
                            + didYouMean(d.port(), dependency.ports().keySet())
                            + knownOrNone("its ports", dependency.ports().keySet()));
                }
            }
        } else if (placeholder instanceof Placeholder.TargetProperty p) {
            for (String targetName : distribution.getOrDefault(name, List.of())) {
                Target target = targets.get(targetName);
                if (target != null && !target.properties().containsKey(p.key())) {
                    diagnostics.error(use.where(), placeholder + ": target " + targetName + ", where service " + name
                            + " is placed, has no property " + p.key() + didYouMean(p.key(), target.properties().keySet()));
                }
            }
        }
    }

    private boolean checkDependencyReference(Service service, String dependency, Placeholder placeholder, TemplateUse use) {
        if (!service.dependsOn().contains(dependency)) {
            diagnostics.error(use.where(), placeholder + " refers to " + dependency + ", which is not in depends-on of service "
                    + service.name() + didYouMean(dependency, service.dependsOn()));
            return false;
        }
        return services.containsKey(dependency);
    }

    // ---- per target ----------------------------------------------------------------------------

    /** A port or socket path that an instance takes on its target, to find two services taking the same. */
    private record Claim(String service, ListenAddress address, SourceLocation where) {
        boolean clashesWith(Claim other) {
            if (other.service.equals(service)) {
                return false;
            }
            if (address instanceof ListenAddress.Unix u && other.address instanceof ListenAddress.Unix v) {
                return u.path().equals(v.path());
            }
            if (address instanceof ListenAddress.Inet a && other.address instanceof ListenAddress.Inet b) {
                return a.port() == b.port() && (a.host().isEmpty() || b.host().isEmpty() || a.host().equals(b.host()));
            }
            return false;
        }
    }

    private List<InstanceSpec> resolveInstances(List<String> order) {
        Map<String, Map<String, SortedMap<String, Integer>>> portsByTarget = new TreeMap<>();
        for (String targetName : targets.keySet()) {
            portsByTarget.put(targetName, assignPorts(targets.get(targetName), servicesOn(targetName)));
        }
        List<InstanceSpec> instances = new ArrayList<>();
        for (String targetName : targets.keySet()) {
            Target target = targets.get(targetName);
            List<Claim> claims = new ArrayList<>();
            for (String serviceName : order) {
                if (!distribution.getOrDefault(serviceName, List.of()).contains(targetName)) {
                    continue;
                }
                Service service = services.get(serviceName);
                SortedMap<String, Integer> ports = portsByTarget.get(targetName).get(serviceName);
                SortedMap<String, InstanceSpec.Endpoint> endpoints = endpoints(service, targetName, portsByTarget);
                InstanceSpec unresolvedListen = new InstanceSpec(service, target, ports, List.of(), endpoints);
                List<ListenAddress> listen = new ArrayList<>();
                List<SourceLocation> listenWhere = listenLocations.getOrDefault(serviceName, List.of());
                List<Template> listenTemplates = service.onDemand().map(OnDemand::listen).orElse(List.of());
                for (int i = 0; i < listenTemplates.size(); i++) {
                    SourceLocation where = listenWhere.get(i);
                    String text = unresolvedListen.render(listenTemplates.get(i), "");
                    try {
                        ListenAddress address = ListenAddress.parse(text);
                        listen.add(address);
                        claims.add(new Claim(serviceName, address, where));
                        if (address instanceof ListenAddress.Unix && Set.of("inetd", "xinetd").contains(service.type())) {
                            diagnostics.error(where, "service " + serviceName + " of type " + service.type()
                                    + " cannot listen on a Unix socket; " + service.type() + " serves TCP only");
                        }
                    } catch (IllegalArgumentException e) {
                        diagnostics.error(where, "listen address" + (text.equals(listenTemplates.get(i).source()) ? "" :
                                " (" + listenTemplates.get(i).source() + " on target " + targetName + ")") + ": " + e.getMessage());
                    }
                }
                ports.forEach((portName, port) -> {
                    SourceLocation where = portLocations.get(serviceName).get(portName);
                    claims.add(new Claim(serviceName, new ListenAddress.Inet(Optional.empty(), port), where));
                });
                instances.add(new InstanceSpec(service, target, ports, listen, endpoints));
            }
            reportClashes(targetName, claims);
        }
        return instances;
    }

    private void reportClashes(String target, List<Claim> claims) {
        Set<String> reported = new LinkedHashSet<>();
        for (int i = 0; i < claims.size(); i++) {
            for (int j = 0; j < i; j++) {
                Claim earlier = claims.get(j);
                Claim later = claims.get(i);
                String key = earlier.service() + "/" + later.service() + "/" + later.address();
                if (later.clashesWith(earlier) && reported.add(key)) {
                    String what = later.address() instanceof ListenAddress.Unix ? "socket " + later.address()
                            : "port " + ((ListenAddress.Inet) later.address()).port();
                    diagnostics.error(later.where(), "service " + later.service() + " claims " + what + " on target " + target
                            + ", which service " + earlier.service() + " already claims at " + earlier.where().inModel());
                }
            }
        }
    }

    private List<Service> servicesOn(String target) {
        return services.values().stream()
                .filter(s -> distribution.getOrDefault(s.name(), List.of()).contains(target))
                .toList();
    }

    /**
     * Assigns every {@code "auto"} port of a target. Each starts at a place given by a hash of its
     * service and port names and takes the next free port from there, so a port stays where it was
     * when other services come and go, unless a new one happens to claim it first.
     */
    private Map<String, SortedMap<String, Integer>> assignPorts(Target target, List<Service> placed) {
        Set<Integer> taken = new TreeSet<>();
        for (Service service : placed) {
            service.ports().values().forEach(p -> {
                if (p instanceof PortRequest.Fixed f) {
                    taken.add(f.port());
                }
            });
            for (Template listen : service.onDemand().map(OnDemand::listen).orElse(List.of())) {
                if (listen.placeholders().isEmpty()) {
                    try {
                        if (ListenAddress.parse(listen.source()) instanceof ListenAddress.Inet inet) {
                            taken.add(inet.port());
                        }
                    } catch (IllegalArgumentException reportedLater) {
                        // The listen check reports it with its location.
                    }
                }
            }
        }
        Map<String, SortedMap<String, Integer>> assigned = new TreeMap<>();
        PortRange range = target.autoPorts();
        for (Service service : placed) {
            SortedMap<String, Integer> ports = new TreeMap<>();
            service.ports().forEach((portName, request) -> {
                if (request instanceof PortRequest.Fixed f) {
                    ports.put(portName, f.port());
                } else {
                    ports.put(portName, -1);
                }
            });
            assigned.put(service.name(), ports);
        }
        // Ports that were assigned before keep their numbers first, so deployments do not move them.
        for (Service service : placed) {
            for (Map.Entry<String, Integer> entry : assigned.get(service.name()).entrySet()) {
                OptionalInt before = hints.port(target.name(), service.name(), entry.getKey());
                if (entry.getValue() == -1 && before.isPresent() && before.getAsInt() >= range.first()
                        && before.getAsInt() <= range.last() && taken.add(before.getAsInt())) {
                    entry.setValue(before.getAsInt());
                }
            }
        }
        for (Service service : placed) {
            SortedMap<String, Integer> ports = assigned.get(service.name());
            for (Map.Entry<String, Integer> entry : ports.entrySet()) {
                if (entry.getValue() != -1) {
                    continue;
                }
                CRC32 hash = new CRC32();
                hash.update((service.name() + "/" + entry.getKey()).getBytes(StandardCharsets.UTF_8));
                int offset = (int) (hash.getValue() % range.size());
                OptionalInt free = OptionalInt.empty();
                for (int step = 0; step < range.size() && free.isEmpty(); step++) {
                    int candidate = range.first() + (offset + step) % range.size();
                    if (taken.add(candidate)) {
                        free = OptionalInt.of(candidate);
                    }
                }
                if (free.isEmpty()) {
                    diagnostics.error(portLocations.get(service.name()).get(entry.getKey()), "no free port left for "
                            + service.name() + "'s port " + entry.getKey() + " in auto-ports " + range + " of target "
                            + target.name() + "; widen the range with auto-ports = \"FIRST-LAST\" in " + files.infrastructure().getFileName());
                    entry.setValue(0);
                } else {
                    entry.setValue(free.getAsInt());
                }
            }
        }
        return assigned;
    }

    private SortedMap<String, InstanceSpec.Endpoint> endpoints(
            Service service, String targetName, Map<String, Map<String, SortedMap<String, Integer>>> portsByTarget) {
        Map<String, SourceLocation> referenced = new TreeMap<>();
        for (TemplateUse use : templateUses) {
            if (use.service().equals(service.name())) {
                for (Placeholder p : use.template().placeholders()) {
                    if (p instanceof Placeholder.DependencyHost d) {
                        referenced.putIfAbsent(d.service(), use.where());
                    } else if (p instanceof Placeholder.DependencyPort d) {
                        referenced.putIfAbsent(d.service(), use.where());
                    }
                }
            }
        }
        SortedMap<String, InstanceSpec.Endpoint> endpoints = new TreeMap<>();
        for (String dependency : service.dependsOn()) {
            List<String> placed = distribution.getOrDefault(dependency, List.of());
            String chosen = placed.contains(targetName) ? targetName : placed.size() == 1 ? placed.get(0) : null;
            if (chosen == null) {
                if (referenced.containsKey(dependency)) {
                    diagnostics.error(referenced.get(dependency), "service " + service.name() + " on target " + targetName
                            + " refers to {deps." + dependency + "...}, but " + dependency + " runs on several other targets ("
                            + String.join(", ", placed) + "), so which one is meant is ambiguous; place " + dependency
                            + " on " + targetName + " too, or on one target only");
                }
                continue;
            }
            endpoints.put(dependency, new InstanceSpec.Endpoint(chosen, targets.get(chosen).hostname(),
                    portsByTarget.get(chosen).get(dependency)));
        }
        return endpoints;
    }

    // ---- typed access with diagnostics ---------------------------------------------------------

    private void checkKeys(Node table, Collection<String> allowed, String what) {
        if (!table.json().isObject()) {
            return;
        }
        for (String key : table.keys()) {
            if (!allowed.contains(key)) {
                Node child = table.get(key).orElseThrow();
                diagnostics.error(child.keyWhere(), "unknown key " + Messages.name(key) + " in " + what + didYouMean(key, allowed)
                        + "; known keys: " + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    private Optional<Node> required(Node table, String key) {
        Optional<Node> value = table.get(key);
        if (value.isEmpty()) {
            diagnostics.error(table.keyWhere(), table.display() + " needs " + key);
        }
        return value;
    }

    private boolean checkName(Node node, String name, String kind) {
        if (NAME.matcher(name).matches()) {
            return true;
        }
        diagnostics.error(node.keyWhere(), kind + " name " + Messages.quote(name) + " must be 1-63 lower-case letters, digits and "
                + "hyphens, starting with a letter or digit, so it is safe in unit and file names");
        return false;
    }

    private Optional<Node> table(Node node) {
        return expect(node, node.json().isObject(), "a table");
    }

    private Optional<Node> array(Node node) {
        return expect(node, node.json().isArray(), "an array");
    }

    private Optional<String> string(Node node) {
        return expect(node, node.json().isTextual(), "a string").map(n -> n.json().asText()).filter(text -> isUnicode(node, text));
    }

    private Optional<Boolean> bool(Node node) {
        return expect(node, node.json().isBoolean(), "a boolean (true or false)").map(n -> n.json().asBoolean());
    }

    /** Strings, integers and booleans, as the text a program would see; people write {@code PORT = 8080}. */
    private Optional<String> scalarText(Node node) {
        return expect(node, node.json().isTextual() || node.json().isIntegralNumber() || node.json().isBoolean(),
                "a string, integer or boolean").map(n -> n.json().asText()).filter(text -> isUnicode(node, text));
    }

    /**
     * A {@code \uD800}-style escape names half of a UTF-16 pair, no character: TOML forbids it, the
     * parser lets it through, and no file or argument written as UTF-8 could carry it.
     */
    private boolean isUnicode(Node node, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                diagnostics.error(node.where(), node.display() + " holds " + String.format("\\u%04X", (int) c)
                        + ", half of a UTF-16 surrogate pair, which is no Unicode character");
                return false;
            }
        }
        return true;
    }

    /**
     * Linux passes at most {@value #MAX_ARGUMENT_BYTES} bytes in one argument or environment entry
     * ({@code MAX_ARG_STRLEN}, with its NUL); a longer one could never reach the program.
     */
    private boolean fitsInOneArgument(Node node, String text, String passed) {
        int bytes = passed.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ARGUMENT_BYTES) {
            diagnostics.error(node.where(), node.display() + " is " + bytes + " bytes long" + (passed.equals(text) ? "" : " with its name")
                    + "; Linux passes at most " + MAX_ARGUMENT_BYTES + " bytes in one argument or environment variable");
            return false;
        }
        return true;
    }

    private Optional<Node> expect(Node node, boolean matches, String expected) {
        if (!matches) {
            diagnostics.error(node.where(), node.display() + " must be " + expected + ", not " + describe(node));
            return Optional.empty();
        }
        return Optional.of(node);
    }

    private static String describe(Node node) {
        return node.typeName();
    }

    private static String knownOrNone(String what, Collection<String> known) {
        return known.isEmpty() ? " (it has none)" : "; " + what + ": " + String.join(", ", known);
    }

    /** A near miss as a hint: " (did you mean description?)". */
    static String didYouMean(String wrong, Collection<String> known) {
        String best = null;
        // Short words are all near each other; only suggest when the slip is small for the word's length.
        int bestDistance = Math.max(1, Math.min(3, wrong.length() / 3)) + 1;
        for (String candidate : known) {
            int distance = editDistance(wrong, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best == null ? "" : " (did you mean " + best + "?)";
    }

    /** Edits (insert, delete, substitute, swap two neighbours) from one word to the other. */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
