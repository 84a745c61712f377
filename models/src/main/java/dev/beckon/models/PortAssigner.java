package dev.beckon.models;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32;

/** Gives every {@code "auto"} port of the services on one target a number of its own. */
final class PortAssigner {
    private final ModelDraft draft;
    private final Diagnostics diagnostics;

    PortAssigner(ModelDraft draft) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
    }

    /**
     * Assigns every {@code "auto"} port of a target. Each starts at a place given by a hash of its
     * service and port names and takes the next free port from there, so a port stays where it was
     * when other services come and go, unless a new one happens to claim it first.
     */
    Map<String, SortedMap<String, Integer>> assign(Target target, List<Service> placed) {
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
}
