package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.time.Duration;
import java.util.Optional;

/**
 * The checks of a service's {@code sockets} table (listeners its service manager holds while the
 * service runs always on) and its {@code stop-timeout}: both are what lets an upgrade or a restart
 * refuse no connection and cut none, and both are systemd's to keep.
 */
final class HeldSockets {
    /** The longest a model may let a stopping service finish its connections; systemd takes more, no drain needs it. */
    static final Duration MAX_STOP_TIMEOUT = Duration.ofHours(1);

    private HeldSockets() {}

    /** A service has its listeners in one table, and only the systemd module holds them for an always-on service. */
    static void check(String service, Node node, Optional<String> type, boolean onDemand, Diagnostics diagnostics) {
        Optional<Node> sockets = node.get("sockets");
        if (sockets.isEmpty()) {
            return;
        }
        if (onDemand) {
            diagnostics.error(sockets.get().keyWhere(), "service " + service + " has both an on-demand and a sockets table; "
                    + "keep on-demand to start it at the first connection, or sockets to start it at once");
        } else if (type.isPresent() && !type.get().equals("systemd-unit")) {
            diagnostics.error(sockets.get().keyWhere(), "service " + service + " is of type " + type.get()
                    + ", which cannot hold sockets for an always-on service; use [services." + service
                    + ".on-demand], or type = \"systemd-unit\"");
        }
    }

    /** The service's {@code stop-timeout}, {@link Service#DEFAULT_STOP_TIMEOUT} when it has none. */
    static Duration stopTimeout(String service, Node node, Optional<String> type, Diagnostics diagnostics) {
        Optional<Node> timeoutNode = node.get("stop-timeout");
        if (timeoutNode.isEmpty()) {
            return Service.DEFAULT_STOP_TIMEOUT;
        }
        Node timeout = timeoutNode.get();
        if (type.isPresent() && !type.get().equals("systemd-unit")) {
            diagnostics.error(timeout.keyWhere(), "stop-timeout of service " + service + " is for systemd-unit services; "
                    + type.get() + " does not stop a service that way, so remove it");
            return Service.DEFAULT_STOP_TIMEOUT;
        }
        if (!timeout.json().isTextual()) {
            diagnostics.error(timeout.where(), "stop-timeout must be a duration like \"30s\" or \"2m\", not " + timeout.typeName());
            return Service.DEFAULT_STOP_TIMEOUT;
        }
        try {
            Duration parsed = Durations.parse(timeout.json().asText());
            if (parsed.compareTo(Duration.ofSeconds(1)) < 0 || parsed.compareTo(MAX_STOP_TIMEOUT) > 0) {
                diagnostics.error(timeout.where(), "stop-timeout must be from 1s to 1h, not " + Durations.format(parsed));
                return Service.DEFAULT_STOP_TIMEOUT;
            }
            return parsed;
        } catch (IllegalArgumentException e) {
            diagnostics.error(timeout.where(), "stop-timeout " + e.getMessage());
            return Service.DEFAULT_STOP_TIMEOUT;
        }
    }
}
