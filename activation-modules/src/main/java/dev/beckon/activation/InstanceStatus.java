package dev.beckon.activation;

import java.util.List;

/**
 * What a module found on a target for one instance.
 *
 * @param drift how what is there differs from what beckon would write ({@code "beckon-x.service was
 *     edited"}, {@code "beckon-x.socket is missing"}); empty when it matches
 * @param detail the service manager's own word on it, such as a unit's result ({@code exit-code})
 * @param log of a failed instance, the last lines its failed run logged (oldest first, printable); empty otherwise
 */
public record InstanceStatus(Presence presence, Activity activity, List<String> drift, String detail, List<String> log) {

    /** Whether the instance's files or entries are there. */
    public enum Presence { INSTALLED, PARTIAL, MISSING }

    /** What the instance does. */
    public enum Activity {
        /** On demand, and no process runs: the service manager holds the socket. */
        LISTENING,
        /** A process runs. */
        RUNNING,
        /** Nothing runs or listens. */
        INACTIVE,
        /** It tried to run and failed. */
        FAILED,
        /** A process runs, but its health check fails. */
        UNHEALTHY,
        /** Its process runs, but leaves the connections queued on its socket unaccepted: it hangs. */
        STUCK
    }

    public InstanceStatus {
        drift = List.copyOf(drift);
        log = log == null ? List.of() : List.copyOf(log);
    }

    public InstanceStatus(Presence presence, Activity activity, List<String> drift, String detail) {
        this(presence, activity, drift, detail, List.of());
    }

    /** The same status with the last lines of its failed run. */
    public InstanceStatus withLog(List<String> lines) {
        return new InstanceStatus(presence, activity, drift, detail, lines);
    }

    /** Whether the instance is there, as written, and doing its job. */
    public boolean isHealthy() {
        return presence == Presence.INSTALLED && drift.isEmpty() && (activity == Activity.LISTENING || activity == Activity.RUNNING);
    }
}
