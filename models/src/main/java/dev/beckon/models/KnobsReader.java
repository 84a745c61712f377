package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a service's {@code [services.X.knobs]}: each knob a table with its {@code type} ({@code bool},
 * {@code int} with {@code min} and {@code max}, {@code enum} with {@code values}) and an optional {@code default}.
 */
final class KnobsReader {
    /** The region stays small and fixed: a page holds this many with their layout text. */
    static final int MAX_KNOBS = 64;
    static final int MAX_ENUM_VALUES = 64;
    /** Enum values are words of the layout text, separated by spaces, and arguments of {@code beckon knob set}. */
    private static final Pattern ENUM_VALUE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Set<String> KEYS = Set.of("type", "values", "min", "max", "default");

    private final Diagnostics diagnostics;
    private final ValueReader values;

    KnobsReader(Diagnostics diagnostics, ValueReader values) {
        this.diagnostics = diagnostics;
        this.values = values;
    }

    List<Knob> read(String service, Node table) {
        List<Knob> knobs = new ArrayList<>();
        List<String> names = table.keys();
        if (names.size() > MAX_KNOBS) {
            diagnostics.error(table.where(), "service " + service + " declares " + names.size() + " knobs; at most " + MAX_KNOBS
                    + " fit its knob region");
            return knobs;
        }
        for (String name : names) {
            Node node = table.get(name).orElseThrow();
            if (values.checkName(node, name, "knob") && values.table(node).isPresent()) {
                knob(service, name, node).ifPresent(knobs::add);
            }
        }
        return knobs;
    }

    private Optional<Knob> knob(String service, String name, Node node) {
        String what = "knob " + name + " of service " + service;
        values.checkKeys(node, KEYS, what);
        Optional<String> type = values.required(node, "type").flatMap(values::string);
        if (type.isEmpty()) {
            return Optional.empty();
        }
        Optional<Node> defaultNode = node.get("default");
        switch (type.get()) {
            case Knob.BOOL -> {
                refuse(node, "values", what, "an enum");
                refuse(node, "min", what, "an int");
                refuse(node, "max", what, "an int");
                Optional<Boolean> value = defaultNode.isEmpty() ? Optional.of(false) : defaultNode.flatMap(values::bool);
                return value.map(v -> new Knob(name, Knob.BOOL, List.of(), 0, 0, v ? 1 : 0));
            }
            case Knob.INT -> {
                refuse(node, "values", what, "an enum");
                Optional<Long> min = values.required(node, "min").flatMap(this::integer);
                Optional<Long> max = values.required(node, "max").flatMap(this::integer);
                if (min.isEmpty() || max.isEmpty()) {
                    return Optional.empty();
                }
                if (min.get() > max.get()) {
                    diagnostics.error(node.get("max").orElseThrow().where(), what + " has max " + max.get() + " below its min "
                            + min.get());
                    return Optional.empty();
                }
                Optional<Long> value = defaultNode.isEmpty() ? min : defaultNode.flatMap(this::integer).filter(v -> {
                    if (v < min.get() || v > max.get()) {
                        diagnostics.error(defaultNode.get().where(), "the default " + v + " of " + what + " is outside its range "
                                + min.get() + " to " + max.get());
                        return false;
                    }
                    return true;
                });
                return value.map(v -> new Knob(name, Knob.INT, List.of(), min.get(), max.get(), v));
            }
            case Knob.ENUM -> {
                refuse(node, "min", what, "an int");
                refuse(node, "max", what, "an int");
                Optional<List<String>> declared = values.required(node, "values").flatMap(values::array).flatMap(list -> enumValues(what, list));
                if (declared.isEmpty()) {
                    return Optional.empty();
                }
                List<String> enumValues = declared.get();
                Optional<Long> value = defaultNode.isEmpty() ? Optional.of(0L) : defaultNode.flatMap(values::string).flatMap(text -> {
                    int index = enumValues.indexOf(text);
                    if (index < 0) {
                        diagnostics.error(defaultNode.get().where(), "the default " + Messages.quote(text) + " of " + what
                                + " is none of its values " + String.join(", ", enumValues));
                        return Optional.empty();
                    }
                    return Optional.of((long) index);
                });
                return value.map(v -> new Knob(name, Knob.ENUM, enumValues, 0, 0, v));
            }
            default -> {
                diagnostics.error(node.get("type").orElseThrow().where(), what + " has type " + Messages.quote(type.get())
                        + "; a knob is a \"bool\", an \"int\" (with min and max) or an \"enum\" (with values)");
                return Optional.empty();
            }
        }
    }

    private Optional<List<String>> enumValues(String what, Node list) {
        if (list.elements().isEmpty() || list.elements().size() > MAX_ENUM_VALUES) {
            diagnostics.error(list.where(), "values of " + what + " must list 1 to " + MAX_ENUM_VALUES + " values, not "
                    + list.elements().size());
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        boolean valid = true;
        for (Node element : list.elements()) {
            Optional<String> text = values.string(element);
            if (text.isEmpty()) {
                valid = false;
            } else if (!ENUM_VALUE.matcher(text.get()).matches()) {
                diagnostics.error(element.where(), "enum value " + Messages.quote(text.get()) + " of " + what
                        + " must be 1-63 letters, digits, dots, hyphens and underscores, starting with a letter or digit");
                valid = false;
            } else if (out.contains(text.get())) {
                diagnostics.error(element.where(), what + " lists the value " + text.get() + " twice");
                valid = false;
            } else {
                out.add(text.get());
            }
        }
        return valid ? Optional.of(out) : Optional.empty();
    }

    private Optional<Long> integer(Node node) {
        if (node.json().isIntegralNumber() && node.json().canConvertToLong()) {
            return Optional.of(node.json().asLong());
        }
        diagnostics.error(node.where(), node.display() + " must be an integer that fits in 64 bits, not "
                + (node.json().isIntegralNumber() ? node.json().asText() : node.typeName()));
        return Optional.empty();
    }

    private void refuse(Node node, String key, String what, String kind) {
        node.get(key).ifPresent(k -> diagnostics.error(k.keyWhere(), what + " has " + key + ", which only " + kind + " knob takes"));
    }
}
