package dev.beckon.models;

import java.time.Duration;
import java.util.List;

/**
 * How an on-demand service is activated: the service manager listens on {@code listen} and starts
 * the service at the first connection; it exits by itself after {@code idleTimeout} without work
 * ({@link Duration#ZERO}: never).
 *
 * @param accept false: one long-lived process gets the listening socket; true: one process per connection
 * @param pass how the service receives its sockets
 * @param startLimit how often the manager may start it: the model's, else derived from the idle time
 */
public record OnDemand(List<Template> listen, Duration idleTimeout, boolean accept, SocketPassing pass, StartLimit startLimit) {
    public OnDemand {
        listen = List.copyOf(listen);
    }

    /** With the default passing, {@link SocketPassing#DEFAULT}, and the derived start limit. */
    public OnDemand(List<Template> listen, Duration idleTimeout, boolean accept) {
        this(listen, idleTimeout, accept, SocketPassing.DEFAULT, StartLimit.of(idleTimeout, java.util.OptionalInt.empty(),
                java.util.Optional.empty()));
    }
}
