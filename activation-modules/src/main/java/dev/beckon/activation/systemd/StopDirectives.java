package dev.beckon.activation.systemd;

import dev.beckon.activation.ServiceInstance;
import java.time.Duration;

/**
 * How a service unit is stopped so that the connections its old version has in flight finish: SIGTERM
 * to the main process only, which drains (the idle-monitor library stops accepting, finishes what it
 * took, exits) within the model's {@code stop-timeout}; the processes it started for its connections
 * are killed only once it has exited ({@code KillMode=mixed}; the default, {@code control-group},
 * would signal them all at once). Connections that arrive meanwhile wait in the backlog of the socket
 * the manager holds, for the new version.
 */
final class StopDirectives {
    private StopDirectives() {}

    /** The directives for the {@code [Service]} section; none for an instance recorded before {@code stop-timeout}. */
    static String render(ServiceInstance instance) {
        return instance.stopTimeout().map(timeout -> "TimeoutStopSec=" + timeSpan(timeout) + "\nKillMode=mixed\n").orElse("");
    }

    private static String timeSpan(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }
}
