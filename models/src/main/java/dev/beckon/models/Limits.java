package dev.beckon.models;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A service's resource limits ({@code [services.X.limits]}); each is unset unless the model sets it.
 * Every module enforces the limits it can and the model refuses the others (see {@link LimitSupport}).
 *
 * @param memoryBytes the most memory the service's processes may use together (systemd MemoryMax=;
 *     as address space per process where only rlimits exist)
 * @param tasks the most processes and threads it may have at once
 * @param cpuPercent the CPU time it may use, in percent of one CPU (200: two CPUs)
 * @param openFiles the most file descriptors each of its processes may hold (RLIMIT_NOFILE)
 * @param connections the most connections served at once, for a service started per connection
 * @param connectionsPerSource the most of those from one client address
 */
public record Limits(OptionalLong memoryBytes, OptionalInt tasks, OptionalInt cpuPercent, OptionalInt openFiles,
        OptionalInt connections, OptionalInt connectionsPerSource) {
    public static final String MEMORY = "memory";
    public static final String TASKS = "tasks";
    public static final String CPU = "cpu";
    public static final String OPEN_FILES = "open-files";
    public static final String CONNECTIONS = "connections";
    public static final String CONNECTIONS_PER_SOURCE = "connections-per-source";
    /** The keys of the table, in the order messages and the README list them. */
    public static final List<String> KEYS = List.of(MEMORY, TASKS, CPU, OPEN_FILES, CONNECTIONS, CONNECTIONS_PER_SOURCE);
    public static final Limits NONE = new Limits(OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
            OptionalInt.empty(), OptionalInt.empty());

    public boolean isEmpty() {
        return toMap().isEmpty();
    }

    /** The keys of the limits that are set. */
    public List<String> setKeys() {
        return List.copyOf(toMap().keySet());
    }

    /**
     * The limits that are set, by key, as manifests record them and external modules receive them:
     * memory in bytes, cpu in percent ({@code 50%}), the rest as counts.
     */
    public SortedMap<String, String> toMap() {
        SortedMap<String, String> map = new TreeMap<>();
        memoryBytes.ifPresent(v -> map.put(MEMORY, String.valueOf(v)));
        tasks.ifPresent(v -> map.put(TASKS, String.valueOf(v)));
        cpuPercent.ifPresent(v -> map.put(CPU, v + "%"));
        openFiles.ifPresent(v -> map.put(OPEN_FILES, String.valueOf(v)));
        connections.ifPresent(v -> map.put(CONNECTIONS, String.valueOf(v)));
        connectionsPerSource.ifPresent(v -> map.put(CONNECTIONS_PER_SOURCE, String.valueOf(v)));
        return map;
    }

    /**
     * Reads {@link #toMap()} back.
     *
     * @throws IllegalArgumentException naming the key that is unknown or whose value is not what toMap writes
     */
    public static Limits fromMap(SortedMap<String, String> map) {
        for (String key : map.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("limit " + Messages.quote(key) + " is none this beckon knows");
            }
        }
        try {
            return new Limits(
                    Optional.ofNullable(map.get(MEMORY)).map(v -> OptionalLong.of(Long.parseLong(v))).orElse(OptionalLong.empty()),
                    count(map, TASKS), Optional.ofNullable(map.get(CPU)).filter(v -> v.endsWith("%"))
                            .map(v -> OptionalInt.of(Integer.parseInt(v.substring(0, v.length() - 1))))
                            .orElseGet(() -> map.containsKey(CPU) ? failCpu(map.get(CPU)) : OptionalInt.empty()),
                    count(map, OPEN_FILES), count(map, CONNECTIONS), count(map, CONNECTIONS_PER_SOURCE));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limits " + Messages.printable(map.toString()) + " are not numbers", e);
        }
    }

    private static OptionalInt failCpu(String value) {
        throw new IllegalArgumentException("limit cpu " + Messages.quote(value) + " is not a percentage");
    }

    private static OptionalInt count(SortedMap<String, String> map, String key) {
        return map.containsKey(key) ? OptionalInt.of(Integer.parseInt(map.get(key))) : OptionalInt.empty();
    }
}
