package dev.beckon.activation.inetd;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Limits;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An instance's limits where a super-server enforces them: xinetd's own attributes, and for
 * openbsd-inetd, which has none, rlimits the launcher sets before it execs the server. Memory is
 * then address space per process (RLIMIT_AS), not the resident memory systemd's MemoryMax= counts.
 * The model refuses what neither can enforce ({@code LimitSupport}); a limit that reaches here anyway
 * is refused again rather than dropped.
 */
final class SuperServerLimits {
    private SuperServerLimits() {}

    /** {@code rlimit_as}, {@code rlimit_files}, {@code instances}, {@code per_source}, as xinetd names them. */
    static Map<String, String> xinetdAttributes(ServiceInstance instance) {
        Limits limits = instance.limits();
        refuse(instance, "xinetd", limits.tasks().isPresent() ? Limits.TASKS : limits.cpuPercent().isPresent() ? Limits.CPU : null);
        Map<String, String> attributes = new LinkedHashMap<>();
        limits.memoryBytes().ifPresent(bytes -> attributes.put("rlimit_as", String.valueOf(bytes)));
        limits.openFiles().ifPresent(files -> attributes.put("rlimit_files", String.valueOf(files)));
        boolean perConnection = instance.onDemand().map(ServiceInstance.Activation::accept).orElse(false);
        if (!perConnection && limits.connectionsPerSource().isPresent()) {
            refuse(instance, "xinetd", Limits.CONNECTIONS_PER_SOURCE);
        }
        // With wait = yes the one server bounds its connections itself (ServiceConnectionBound).
        if (perConnection) {
            limits.connections().ifPresent(n -> attributes.put("instances", String.valueOf(n)));
        }
        limits.connectionsPerSource().ifPresent(n -> attributes.put("per_source", String.valueOf(n)));
        return attributes;
    }

    /**
     * The launcher's {@code ulimit} lines for openbsd-inetd: {@code -v} (KiB of address space) and
     * {@code -n}. A limit the launcher cannot set (above the hard limit of the user inetd runs it as)
     * stops it with status 71 rather than start the server unbounded.
     */
    static String ulimits(ServiceInstance instance) {
        Limits limits = instance.limits();
        boolean perConnection = instance.onDemand().map(ServiceInstance.Activation::accept).orElse(false);
        // Only with nowait: with wait the one server bounds its connections itself (ServiceConnectionBound).
        refuse(instance, "inetd", limits.tasks().isPresent() ? Limits.TASKS : limits.cpuPercent().isPresent() ? Limits.CPU
                : limits.connections().isPresent() && perConnection ? Limits.CONNECTIONS
                : limits.connectionsPerSource().isPresent() ? Limits.CONNECTIONS_PER_SOURCE : null);
        StringBuilder lines = new StringBuilder();
        limits.memoryBytes().ifPresent(bytes -> lines.append("ulimit -v ").append(Math.max(1, bytes / 1024))
                .append(" || { echo \"beckon launcher: cannot limit memory\" >&2; exit 71; }\n"));
        limits.openFiles().ifPresent(files -> lines.append("ulimit -n ").append(files)
                .append(" || { echo \"beckon launcher: cannot limit open files\" >&2; exit 71; }\n"));
        return lines.toString();
    }

    private static void refuse(ServiceInstance instance, String daemon, String limit) {
        if (limit != null) {
            throw new IllegalArgumentException(instance.id() + ": " + daemon + " cannot enforce limit " + limit
                    + "; remove it from the model or use type systemd-unit");
        }
    }
}
