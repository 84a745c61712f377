package dev.beckon.models;

import dev.beckon.models.ModelDraft.TemplateUse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Resolves every service for each target it is placed on: assigns its {@code "auto"} ports, finds the
 * endpoints of its dependencies and its listen addresses, reports two services that claim the same
 * port or socket on one target, and checks each command line against what Linux and systemd take.
 * Every step is linear in the instances: services, placements and claims are looked up by key.
 */
final class InstanceResolver {
    /**
     * Bytes a unit file line may need beyond the model's own text: beckon appends the instance's name
     * to descriptions and the package's store path takes the place of {@code {package}}.
     */
    static final int ROOM_FOR_BECKON = 512;
    /** What {@code {package}} counts for while a command line is measured: as long as a path can be. */
    private static final long PACKAGE_PATH_BYTES = SystemdLimits.MAX_PROGRAM_PATH_BYTES;
    /**
     * The most bytes a command line's arguments and environment may take together. Linux starts a
     * program only when they fit in a quarter of its stack limit (2 MiB with the usual 8 MiB), and
     * the service manager adds variables of its own; half of that is left to the model.
     */
    static final int MAX_ARGUMENTS_AND_ENVIRONMENT_BYTES = 1 << 20;

    private final ModelDraft draft;
    private final Diagnostics diagnostics;
    /** Each service's targets, for looking up whether it runs on one. */
    private final Map<String, Set<String>> placedOn = new HashMap<>();
    /** Each service's templates, for the dependencies its placeholders refer to. */
    private final Map<String, List<TemplateUse>> templatesOf = new HashMap<>();
    /** The dependencies each service's placeholders refer to, with where first; the same on every target. */
    private final Map<String, Map<String, SourceLocation>> referencedBy = new HashMap<>();
    /** How often each exec argument and environment value of a service uses {@code {package}}. */
    private final Map<String, PackageUses> packageUsesOf = new HashMap<>();

    private record PackageUses(long[] exec, Map<String, Long> environment) {}
    /** Problems of a service's command line already reported, so that each is reported once, not per target. */
    private final Set<String> reportedCommandLines = new HashSet<>();
    /** Instances with a placeholder that cannot be resolved, reported already: their command lines cannot be measured. */
    private final Set<String> unresolvable = new HashSet<>();

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

        /** Claims that can clash share this: the socket's path, or the port whatever its host. */
        Object clashKey() {
            return address instanceof ListenAddress.Inet inet ? Integer.valueOf(inet.port()) : address.toString();
        }
    }

    InstanceResolver(ModelDraft draft) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
        draft.distribution.forEach((service, targets) -> placedOn.put(service, new HashSet<>(targets)));
        for (TemplateUse use : draft.templateUses) {
            templatesOf.computeIfAbsent(use.service(), k -> new ArrayList<>()).add(use);
        }
    }

    List<InstanceSpec> resolveInstances(List<String> order) {
        // Each target's services in activation order, found in one pass over the placements.
        Map<String, List<Service>> servicesOn = new LinkedHashMap<>();
        Map<String, List<Service>> servicesOnByName = new TreeMap<>();
        for (String targetName : draft.targets.keySet()) {
            servicesOn.put(targetName, new ArrayList<>());
            servicesOnByName.put(targetName, new ArrayList<>());
        }
        for (String serviceName : order) {
            for (String targetName : draft.distribution.getOrDefault(serviceName, List.of())) {
                List<Service> on = servicesOn.get(targetName);
                if (on != null) {
                    on.add(draft.services.get(serviceName));
                }
            }
        }
        for (Service service : draft.services.values()) {
            for (String targetName : draft.distribution.getOrDefault(service.name(), List.of())) {
                List<Service> on = servicesOnByName.get(targetName);
                if (on != null) {
                    on.add(service);
                }
            }
        }
        PortAssigner portAssigner = new PortAssigner(draft);
        Map<String, Map<String, SortedMap<String, Integer>>> portsByTarget = new TreeMap<>();
        for (String targetName : draft.targets.keySet()) {
            portsByTarget.put(targetName, portAssigner.assign(draft.targets.get(targetName), servicesOnByName.get(targetName)));
        }
        List<InstanceSpec> instances = new ArrayList<>();
        for (String targetName : draft.targets.keySet()) {
            Target target = draft.targets.get(targetName);
            List<Claim> claims = new ArrayList<>();
            for (Service service : servicesOn.get(targetName)) {
                String serviceName = service.name();
                SortedMap<String, Integer> ports = portsByTarget.get(targetName).get(serviceName);
                SortedMap<String, InstanceSpec.Endpoint> endpoints = endpoints(service, targetName, portsByTarget);
                InstanceSpec unresolvedListen = new InstanceSpec(service, target, ports, List.of(), endpoints);
                List<ListenAddress> listen = new ArrayList<>();
                List<SourceLocation> listenWhere = draft.listenLocations.getOrDefault(serviceName, List.of());
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
                    SourceLocation where = draft.portLocations.get(serviceName).get(portName);
                    claims.add(new Claim(serviceName, new ListenAddress.Inet(Optional.empty(), port), where));
                });
                InstanceSpec instance = new InstanceSpec(service, target, ports, listen, endpoints);
                checkCommandLine(instance);
                instances.add(instance);
            }
            reportClashes(targetName, claims);
        }
        return instances;
    }

    /**
     * Each claim against every earlier one it can clash with: only claims of the same port or path
     * are compared, so the work grows with the claims, not with their square.
     */
    private void reportClashes(String target, List<Claim> claims) {
        Set<String> reported = new HashSet<>();
        Map<Object, List<Claim>> earlierByKey = new HashMap<>();
        for (Claim later : claims) {
            List<Claim> earlierClaims = earlierByKey.computeIfAbsent(later.clashKey(), k -> new ArrayList<>());
            for (Claim earlier : earlierClaims) {
                String key = earlier.service() + "/" + later.service() + "/" + later.address();
                if (later.clashesWith(earlier) && reported.add(key)) {
                    String what = later.address() instanceof ListenAddress.Unix ? "socket " + later.address()
                            : "port " + ((ListenAddress.Inet) later.address()).port();
                    diagnostics.error(later.where(), "service " + later.service() + " claims " + what + " on target " + target
                            + ", which service " + earlier.service() + " already claims at " + earlier.where().inModel());
                }
            }
            earlierClaims.add(later);
        }
    }

    /**
     * What Linux or systemd would refuse in an instance's command line, with placeholders resolved
     * for its target and {@code {package}} as long as a path can be: its arguments and environment
     * together, and for systemd units the length of the {@code ExecStart=} and {@code Environment=}
     * lines and the program's path.
     */
    private void checkCommandLine(InstanceSpec instance) {
        Service service = instance.service();
        SourceLocation execWhere = draft.execLocations.get(service.name());
        if (execWhere == null || service.exec().isEmpty() || unresolvable.contains(instance.id())) {
            return;
        }
        // Rendered with an empty {package}, and its longest length added for each use: cheaper than measuring it every time.
        List<String> exec = instance.exec("");
        SortedMap<String, String> environment = instance.environment("");
        PackageUses packageUses = packageUsesOf.computeIfAbsent(service.name(), name -> {
            Map<String, Long> environmentUses = new HashMap<>();
            service.environment().forEach((variable, value) -> environmentUses.put(variable, packageUses(value)));
            return new PackageUses(service.exec().stream().mapToLong(InstanceResolver::packageUses).toArray(), environmentUses);
        });
        long total = 0;
        long execLine = "ExecStart=".length() + exec.size() - 1;
        for (int i = 0; i < exec.size(); i++) {
            long uses = packageUses.exec()[i];
            total += utf8Length(exec.get(i)) + uses * PACKAGE_PATH_BYTES + 1 + Long.BYTES;
            execLine += SystemdLimits.quotedLength(exec.get(i), true) + uses * PACKAGE_PATH_BYTES;
        }
        Map<String, Long> environmentLines = new TreeMap<>();
        for (Map.Entry<String, String> variable : environment.entrySet()) {
            long uses = packageUses.environment().get(variable.getKey());
            String assignment = variable.getKey() + "=" + variable.getValue();
            total += utf8Length(assignment) + uses * PACKAGE_PATH_BYTES + 1 + Long.BYTES;
            environmentLines.put(variable.getKey(), "Environment=".length() + SystemdLimits.quotedLength(assignment, false)
                    + uses * PACKAGE_PATH_BYTES);
        }
        if (total > MAX_ARGUMENTS_AND_ENVIRONMENT_BYTES) {
            reportOnce(service, "size", execWhere, "the command line of service " + service.name() + " takes " + total
                    + " bytes with its environment on target " + instance.target().name() + ", counting " + PACKAGE_PATH_BYTES
                    + " for {package}; beckon passes at most " + MAX_ARGUMENTS_AND_ENVIRONMENT_BYTES
                    + " (Linux refuses to start a program whose arguments and environment exceed a quarter of its stack limit)");
        }
        if (!service.type().equals("systemd-unit")) {
            return;
        }
        if (execLine >= SystemdLimits.LONG_LINE_MAX) {
            reportOnce(service, "exec", execWhere, "exec of service " + service.name() + " takes " + execLine
                    + " bytes on its ExecStart= line on target " + instance.target().name() + ", counting "
                    + PACKAGE_PATH_BYTES + " for {package}; systemd refuses a unit with a line of "
                    + SystemdLimits.LONG_LINE_MAX + " bytes or more");
        }
        environmentLines.forEach((variable, line) -> {
            if (line >= SystemdLimits.LONG_LINE_MAX) {
                SourceLocation where = draft.environmentLocations.getOrDefault(service.name(), Map.of()).getOrDefault(variable, execWhere);
                reportOnce(service, "environment " + variable, where, "environment variable " + variable
                        + " of service " + service.name() + " takes " + line + " bytes on its Environment= line on target "
                        + instance.target().name() + "; systemd refuses a unit with a line of " + SystemdLimits.LONG_LINE_MAX
                        + " bytes or more");
            }
        });
        String program = instance.render(service.exec().get(0),
                "/store/HASH-" + service.packagePath().map(p -> p.getFileName().toString()).orElse("package"));
        SystemdLimits.programProblem(program).ifPresent(problem -> reportOnce(service, "program", execWhere,
                "the program " + Messages.quote(program) + " of service " + service.name() + " " + problem));
    }

    private static long packageUses(Template template) {
        return template.placeholders().stream().filter(p -> p instanceof Placeholder.PackagePath).count();
    }

    private static long utf8Length(String text) {
        long length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            length += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isHighSurrogate(c) ? 1 : 3; // a pair: 1 + 3
        }
        return length;
    }

    private void reportOnce(Service service, String what, SourceLocation where, String message) {
        if (reportedCommandLines.add(service.name() + " " + what)) {
            diagnostics.error(where, message);
        }
    }

    private SortedMap<String, InstanceSpec.Endpoint> endpoints(
            Service service, String targetName, Map<String, Map<String, SortedMap<String, Integer>>> portsByTarget) {
        Map<String, SourceLocation> referenced = referencedBy.computeIfAbsent(service.name(), name -> {
            Map<String, SourceLocation> found = new HashMap<>();
            for (TemplateUse use : templatesOf.getOrDefault(name, List.of())) {
                for (Placeholder p : use.template().placeholders()) {
                    if (p instanceof Placeholder.DependencyHost d) {
                        found.putIfAbsent(d.service(), use.where());
                    } else if (p instanceof Placeholder.DependencyPort d) {
                        found.putIfAbsent(d.service(), use.where());
                    }
                }
            }
            return found;
        });
        SortedMap<String, InstanceSpec.Endpoint> endpoints = new TreeMap<>();
        for (String dependency : service.dependsOn()) {
            List<String> placed = draft.distribution.getOrDefault(dependency, List.of());
            String chosen = placedOn.getOrDefault(dependency, Set.of()).contains(targetName) ? targetName
                    : placed.size() == 1 ? placed.get(0) : null;
            if (chosen == null) {
                if (referenced.containsKey(dependency)) {
                    unresolvable.add(service.name() + "@" + targetName);
                    diagnostics.error(referenced.get(dependency), "service " + service.name() + " on target " + targetName
                            + " refers to {deps." + dependency + "...}, but " + dependency + " runs on several other targets ("
                            + String.join(", ", placed) + "), so which one is meant is ambiguous; place " + dependency
                            + " on " + targetName + " too, or on one target only");
                }
                continue;
            }
            endpoints.put(dependency, new InstanceSpec.Endpoint(chosen, draft.targets.get(chosen).hostname(),
                    portsByTarget.get(chosen).get(dependency)));
        }
        return endpoints;
    }
}
