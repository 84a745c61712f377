package dev.beckon.models;

import dev.beckon.idle.WarmState;
import dev.beckon.models.TomlFile.Node;
import java.util.Optional;
import java.util.Set;

/** Reads {@code [services.X.state]}: the size of the service's warm state. */
final class StateReader {
    private static final Set<String> KEYS = Set.of("size");

    private final Diagnostics diagnostics;
    private final ValueReader values;

    StateReader(Diagnostics diagnostics, ValueReader values) {
        this.diagnostics = diagnostics;
        this.values = values;
    }

    Optional<WarmStateSpec> read(String service, Node serviceNode) {
        Optional<Node> table = serviceNode.get("state").flatMap(values::table);
        if (table.isEmpty()) {
            return Optional.empty();
        }
        values.checkKeys(table.get(), KEYS, "the state table of service " + service);
        Optional<Node> sizeNode = values.required(table.get(), "size");
        if (sizeNode.isEmpty()) {
            return Optional.empty();
        }
        Node node = sizeNode.get();
        if (!node.json().isTextual() && !node.json().isIntegralNumber()) {
            diagnostics.error(node.where(), "state size of service " + service + " must be a size like \"64MiB\", not " + node.typeName());
            return Optional.empty();
        }
        long size;
        try {
            size = Sizes.parse(node.json().asText());
        } catch (IllegalArgumentException e) {
            diagnostics.error(node.where(), "state size of service " + service + ": " + e.getMessage());
            return Optional.empty();
        }
        try {
            WarmState.unitsFor(size);
        } catch (IllegalArgumentException e) {
            diagnostics.error(node.where(), "state size of service " + service + " is " + node.json().asText() + ", but "
                    + e.getMessage().replace(size + " bytes is not one", "give a multiple of 4KiB, like \"64MiB\""));
            return Optional.empty();
        }
        return Optional.of(new WarmStateSpec(size));
    }
}
