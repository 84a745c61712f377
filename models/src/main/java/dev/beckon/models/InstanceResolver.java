package dev.beckon.models;

import dev.beckon.models.ModelDraft.TemplateUse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32;

/**
 * Resolves every service for each target it is placed on: assigns its {@code "auto"} ports, finds the
 * endpoints of its dependencies and its listen addresses, and reports two services that claim the
 * same port or socket on one target.
 */
final class InstanceResolver {
    private final ModelDraft draft;
    private final Diagnostics diagnostics;

    InstanceResolver(ModelDraft draft) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
    }

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

    List<InstanceSpec> resolveInstances(List<String> order) {
        Map<String, Map<String, SortedMap<String, Integer>>> portsByTarget = new TreeMap<>();
        for (String targetName : draft.targets.keySet()) {
            portsByTarget.put(targetName, assignPorts(draft.targets.get(targetName), servicesOn(targetName)));
        }
        List<InstanceSpec> instances = new ArrayList<>();
        for (String targetName : draft.targets.keySet()) {
            Target target = draft.targets.get(targetName);
            List<Claim> claims = new ArrayList<>();
            for (String serviceName : order) {
                if (!draft.distribution.getOrDefault(serviceName, List.of()).contains(targetName)) {
                    continue;
                }
                Service service = draft.services.get(serviceName);
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
        return draft.services.values().stream()
                .filter(s -> draft.distribution.getOrDefault(s.name(), List.of()).contains(target))
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
                OptionalInt before = draft.hints.port(target.name(), service.name(), entry.getKey());
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
                    diagnostics.error(draft.portLocations.get(service.name()).get(entry.getKey()), "no free port left for "
                            + service.name() + "'s port " + entry.getKey() + " in auto-ports " + range + " of target "
                            + target.name() + "; widen the range with auto-ports = \"FIRST-LAST\" in " + draft.files.infrastructure().getFileName());
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
        for (TemplateUse use : draft.templateUses) {
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
            List<String> placed = draft.distribution.getOrDefault(dependency, List.of());
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
            endpoints.put(dependency, new InstanceSpec.Endpoint(chosen, draft.targets.get(chosen).hostname(),
                    portsByTarget.get(chosen).get(dependency)));
        }
        return endpoints;
    }
}
