package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/** Reads {@code distribution.toml}: which targets each service is placed on. */
final class DistributionReader {
    private final ModelDraft draft;
    private final Diagnostics diagnostics;
    private final ValueReader values;

    DistributionReader(ModelDraft draft, ValueReader values) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
        this.values = values;
    }

    void read(TomlFile file) {
        Node root = file.root();
        for (String service : root.keys()) {
            Node node = root.get(service).orElseThrow();
            values.array(node).ifPresent(list -> {
                Set<String> placed = new LinkedHashSet<>();
                for (Node entry : list.elements()) {
                    values.string(entry).ifPresent(target -> {
                        if (!placed.add(target)) {
                            diagnostics.error(entry.where(), "service " + service + " is placed on target " + Messages.name(target) + " twice");
                        } else {
                            draft.placementLocations.computeIfAbsent(service, k -> new TreeMap<>()).put(target, entry.where());
                        }
                    });
                }
                draft.distribution.put(service, List.copyOf(placed));
                draft.distributionNodes.put(service, node);
            });
        }
    }
}
