package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a service's {@code limits} table: each value checked where it is written, and each limit
 * the service's module could not enforce refused there, naming the module (see {@link LimitSupport}).
 */
final class LimitsReader {
    /** Less than this and no program starts at all; a typo such as "256KiB" for "256MiB" is caught. */
    static final long MIN_MEMORY = 1L << 20;
    /** The kernel's PID_MAX_LIMIT. */
    static final int MAX_TASKS = 4_194_304;
    /** Percent of one CPU: a thousand CPUs' worth. */
    static final int MAX_CPU_PERCENT = 100_000;
    /** Linux's default fs.nr_open, the most a process may be allowed without changing the kernel's. */
    static final int MAX_OPEN_FILES = 1_048_576;
    static final int MAX_CONNECTIONS = 1_000_000;
    private static final Pattern PERCENT = Pattern.compile("([0-9]{1,7})%");

    private final Diagnostics diagnostics;
    private final ValueReader values;

    LimitsReader(Diagnostics diagnostics, ValueReader values) {
        this.diagnostics = diagnostics;
        this.values = values;
    }

    /** The limits of {@code service}, of module {@code type} when it is known; what is wrong is reported and left unset. */
    Limits read(String service, Node table, Optional<String> type, Optional<Node> onDemandTable) {
        values.checkKeys(table, Set.copyOf(Limits.KEYS), "the limits table of service " + service);
        boolean onDemand = onDemandTable.isPresent();
        boolean accept = onDemandTable.flatMap(t -> t.get("accept")).map(n -> n.json().asBoolean(false)).orElse(false);
        OptionalLong memory = OptionalLong.empty();
        Optional<Node> memoryNode = enforceable(service, table, Limits.MEMORY, type, onDemand, accept);
        if (memoryNode.isPresent()) {
            Node node = memoryNode.get();
            try {
                long bytes;
                if (node.json().isIntegralNumber() && node.json().canConvertToLong()) {
                    bytes = node.json().asLong();
                } else if (node.json().isTextual()) {
                    bytes = Sizes.parse(node.json().asText());
                } else {
                    throw new IllegalArgumentException(node.typeName() + " is not a size; " + Sizes.SYNTAX);
                }
                if (bytes < MIN_MEMORY) {
                    diagnostics.error(node.where(), "limit memory of service " + service + " is " + Sizes.approximate(bytes)
                            + ", less than any program needs to start; give at least 1MiB (did you mean MiB for KiB?)");
                } else {
                    memory = OptionalLong.of(bytes);
                }
            } catch (IllegalArgumentException e) {
                diagnostics.error(node.where(), "limit memory of service " + service + ": " + e.getMessage());
            }
        }
        OptionalInt cpu = OptionalInt.empty();
        Optional<Node> cpuNode = enforceable(service, table, Limits.CPU, type, onDemand, accept);
        if (cpuNode.isPresent()) {
            Node node = cpuNode.get();
            Matcher percent = PERCENT.matcher(node.json().isTextual() ? node.json().asText() : "");
            int value = percent.matches() ? Integer.parseInt(percent.group(1)) : 0;
            if (value < 1 || value > MAX_CPU_PERCENT) {
                diagnostics.error(node.where(), "limit cpu of service " + service + " must be a share of one CPU from \"1%\" to \""
                        + MAX_CPU_PERCENT + "%\" (\"200%\" is two CPUs), not " + (node.json().isTextual()
                        ? Messages.quote(node.json().asText()) : node.typeName()));
            } else {
                cpu = OptionalInt.of(value);
            }
        }
        OptionalInt tasks = count(service, table, Limits.TASKS, MAX_TASKS, "processes and threads", type, onDemand, accept);
        OptionalInt openFiles = count(service, table, Limits.OPEN_FILES, MAX_OPEN_FILES, "file descriptors", type, onDemand, accept);
        OptionalInt connections = count(service, table, Limits.CONNECTIONS, MAX_CONNECTIONS, "connections", type, onDemand, accept);
        OptionalInt perSource = count(service, table, Limits.CONNECTIONS_PER_SOURCE, MAX_CONNECTIONS, "connections", type, onDemand,
                accept);
        if (connections.isPresent() && perSource.isPresent() && perSource.getAsInt() > connections.getAsInt()) {
            diagnostics.error(table.get(Limits.CONNECTIONS_PER_SOURCE).orElseThrow().where(), "limit connections-per-source of service "
                    + service + " is " + perSource.getAsInt() + ", more than its connections (" + connections.getAsInt()
                    + "), so it would bound nothing; lower it or leave it out");
        }
        return new Limits(memory, tasks, cpu, openFiles, connections, perSource);
    }

    private OptionalInt count(String service, Node table, String key, int max, String what, Optional<String> type, boolean onDemand,
            boolean accept) {
        Optional<Node> found = enforceable(service, table, key, type, onDemand, accept);
        if (found.isEmpty()) {
            return OptionalInt.empty();
        }
        Node node = found.get();
        if (!node.json().isIntegralNumber() || !node.json().canConvertToInt() || node.json().asInt() < 1 || node.json().asInt() > max) {
            diagnostics.error(node.where(), "limit " + key + " of service " + service + " must be a number of " + what + " from 1 to "
                    + max + ", not " + (node.json().isIntegralNumber() ? node.json().asText() : node.typeName()));
            return OptionalInt.empty();
        }
        return OptionalInt.of(node.json().asInt());
    }

    /** The limit's value when the table sets it and the module can enforce it; else empty, with an error for the latter. */
    private Optional<Node> enforceable(String service, Node table, String key, Optional<String> type, boolean onDemand, boolean accept) {
        Optional<Node> node = table.get(key);
        if (node.isEmpty() || type.isEmpty()) {
            return node;
        }
        Optional<String> whyNot = LimitSupport.whyNot(type.get(), key, onDemand, accept);
        if (whyNot.isPresent()) {
            diagnostics.error(node.get().keyWhere(), "module " + type.get() + " cannot enforce limit " + key + " of service " + service
                    + ": " + whyNot.get());
            return Optional.empty();
        }
        return node;
    }
}
