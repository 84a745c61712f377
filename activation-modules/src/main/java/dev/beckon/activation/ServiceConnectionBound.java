package dev.beckon.activation;

import dev.beckon.idle.IdleMonitor;
import java.util.Optional;

/**
 * {@code limits.connections} of a service that takes every connection in one process ({@code accept
 * = false}, or always on): no service manager counts those, so every module hands the bound to the
 * service in its environment, and the service keeps it itself (the idle-monitor library reads
 * {@value #VARIABLE}: at the bound it accepts nothing and the kernel queues further clients). A
 * service started per connection is bounded by its manager instead (MaxConnections=, xinetd
 * {@code instances}).
 */
public final class ServiceConnectionBound {
    /** The library's own name for it (a constant, inlined: nothing of the library loads here). */
    public static final String VARIABLE = IdleMonitor.MAX_CONNECTIONS_VARIABLE;

    private ServiceConnectionBound() {}

    /** The bound for the service's environment; empty when the model sets none or the manager counts them. */
    public static Optional<String> value(ServiceInstance instance) {
        boolean perConnection = instance.onDemand().map(ServiceInstance.Activation::accept).orElse(false);
        if (perConnection || instance.limits().connections().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(String.valueOf(instance.limits().connections().getAsInt()));
    }
}
