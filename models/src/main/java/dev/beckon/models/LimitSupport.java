package dev.beckon.models;

import java.util.Optional;

/**
 * Which limit each built-in module enforces, in one place: the model refuses a limit its module would
 * have to ignore. An external module gets every limit in its environment and answers for it itself.
 */
public final class LimitSupport {
    private LimitSupport() {}

    /**
     * Why {@code type} cannot enforce {@code limit} for a service that is on demand or not, started per
     * connection or not; empty when it can.
     */
    public static Optional<String> whyNot(String type, String limit, boolean onDemand, boolean accept) {
        boolean perConnection = limit.equals(Limits.CONNECTIONS) || limit.equals(Limits.CONNECTIONS_PER_SOURCE);
        // A service that takes every connection in one process bounds them itself: every module hands
        // connections to it as BECKON_MAX_CONNECTIONS, which the idle-monitor library enforces.
        boolean boundByTheService = limit.equals(Limits.CONNECTIONS) && !accept;
        switch (type) {
            case "systemd-unit":
                if (perConnection && !boundByTheService && !(onDemand && accept)) {
                    return Optional.of("systemd bounds connections per source only for a socket that starts one process per connection "
                            + "(MaxConnectionsPerSource= with Accept=yes); set accept = true in on-demand");
                }
                return Optional.empty();
            case "xinetd":
                if (limit.equals(Limits.TASKS) || limit.equals(Limits.CPU)) {
                    return Optional.of("xinetd has no per-service " + (limit.equals(Limits.TASKS) ? "process count" : "CPU share")
                            + " (its rlimit_cpu is CPU seconds, a lifetime, not a share); use systemd-unit");
                }
                if (perConnection && !boundByTheService && !accept) {
                    return Optional.of("with accept = false xinetd hands all connections to one server (wait = yes), so it counts none;"
                            + " set accept = true in on-demand");
                }
                return Optional.empty();
            case "inetd":
                if (perConnection && !boundByTheService) {
                    return Optional.of("openbsd-inetd bounds only how many servers it starts per minute (the max of nowait.max),"
                            + " not how many run at once; use xinetd or systemd-unit");
                }
                if (limit.equals(Limits.TASKS) || limit.equals(Limits.CPU)) {
                    return Optional.of("openbsd-inetd has no per-service " + (limit.equals(Limits.TASKS) ? "process count"
                            : "CPU share") + " (RLIMIT_NPROC counts every process of the user); use systemd-unit");
                }
                return Optional.empty();
            default:
                return Optional.empty();
        }
    }
}
