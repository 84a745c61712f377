package dev.beckon.activation.systemd;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Limits;

/**
 * The systemd directives of an instance's limits: resource control in the service unit, connection
 * bounds in an Accept=yes socket unit. Every value is a number the model validated, so none needs
 * escaping. For an instance started per connection each connection's service gets the resource limits.
 */
final class LimitDirectives {
    private LimitDirectives() {}

    /** The {@code [Service]} lines: MemoryMax=, TasksMax=, CPUQuota=, LimitNOFILE=. */
    static String service(ServiceInstance instance) {
        Limits limits = instance.limits();
        StringBuilder lines = new StringBuilder();
        limits.memoryBytes().ifPresent(bytes -> lines.append("MemoryMax=").append(bytes).append('\n'));
        limits.tasks().ifPresent(tasks -> lines.append("TasksMax=").append(tasks).append('\n'));
        limits.cpuPercent().ifPresent(percent -> lines.append("CPUQuota=").append(percent).append("%\n"));
        limits.openFiles().ifPresent(files -> lines.append("LimitNOFILE=").append(files).append('\n'));
        return lines.toString();
    }

    /**
     * The {@code [Socket]} lines: MaxConnections=, MaxConnectionsPerSource=; only for one process per
     * connection, the one case where systemd counts connections (the model refuses the others).
     */
    static String socket(ServiceInstance instance) {
        if (instance.onDemand().filter(ServiceInstance.Activation::accept).isEmpty()) {
            return "";
        }
        Limits limits = instance.limits();
        StringBuilder lines = new StringBuilder();
        limits.connections().ifPresent(n -> lines.append("MaxConnections=").append(n).append('\n'));
        limits.connectionsPerSource().ifPresent(n -> lines.append("MaxConnectionsPerSource=").append(n).append('\n'));
        return lines.toString();
    }
}
