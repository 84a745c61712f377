package dev.beckon.activation.systemd;

import dev.beckon.activation.ServiceInstance;

/**
 * The service unit's directives for readiness: a service that notifies is {@code Type=notify}, so its
 * start job waits for {@code READY=1}, no longer than its ready timeout; every other one stays
 * {@code Type=exec}, whose start job fails when the program cannot be executed.
 */
final class ReadinessDirectives {
    private ReadinessDirectives() {}

    static String serviceType(ServiceInstance instance) {
        if (!instance.readiness().notifies()) {
            return "Type=exec\n";
        }
        long seconds = Math.max(1, (instance.readiness().timeout().toMillis() + 999) / 1000);
        // NotifyAccess=main (notify's default): READY=1 counts only from the process systemd started.
        return "Type=notify\nTimeoutStartSec=" + seconds + "s\n";
    }
}
