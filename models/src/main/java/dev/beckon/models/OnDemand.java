package dev.beckon.models;

import java.time.Duration;
import java.util.List;

/**
 * The listeners the service manager holds for a service, and how it starts the service on them. On
 * demand ({@code [services.X.on-demand]}): the manager listens on {@code listen} and starts the
 * service at the first connection; it exits by itself after {@code idleTimeout} without work
 * ({@link Duration#ZERO}: never). Always on with manager-held sockets ({@code [services.X.sockets]},
 * {@code startsAtOnce}): the same sockets, but the service is started with them at activation and
 * never idles out; the two differ in nothing else, so switching between them leaves the sockets open.
 *
 * @param accept false: one long-lived process gets the listening socket; true: one process per connection
 * @param pass how the service receives its sockets
 * @param startLimit how often the manager may start it: the model's, else derived from the idle time
 * @param startsAtOnce true: started at activation, like an always-on service, not by the first connection
 */
public record OnDemand(List<Template> listen, Duration idleTimeout, boolean accept, SocketPassing pass, StartLimit startLimit,
        boolean startsAtOnce) {
    public OnDemand {
        listen = List.copyOf(listen);
    }

    /** Started by the first connection. */
    public OnDemand(List<Template> listen, Duration idleTimeout, boolean accept, SocketPassing pass, StartLimit startLimit) {
        this(listen, idleTimeout, accept, pass, startLimit, false);
    }

    /** With the default passing, {@link SocketPassing#DEFAULT}, and the derived start limit. */
    public OnDemand(List<Template> listen, Duration idleTimeout, boolean accept) {
        this(listen, idleTimeout, accept, SocketPassing.DEFAULT, StartLimit.of(idleTimeout, java.util.OptionalInt.empty(),
                java.util.Optional.empty()));
    }
}
