package dev.beckon.models;

import java.time.Duration;
import java.util.Optional;

/**
 * When an activation of a service is done: when the service is ready, not when its process started.
 *
 * @param notifies the service tells its manager itself ({@code READY=1} on {@code NOTIFY_SOCKET},
 *     {@code notify = true}; idle-monitor's {@code ready()} sends it)
 * @param timeout how long an activation waits for the service to be ready ({@code ready-timeout});
 *     past it the activation fails and the deployment is undone
 * @param health the declared check, {@code [services.X.health]}
 * @param verifyStart an on-demand service is started once at deployment and checked
 *     ({@code verify = "start"} in its on-demand table), so a broken version fails the deployment, not
 *     its first client
 */
public record Readiness(boolean notifies, Duration timeout, Optional<HealthCheck> health, boolean verifyStart) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** What a service that declares nothing about its readiness gets. */
    public static final Readiness NONE = new Readiness(false, DEFAULT_TIMEOUT, Optional.empty(), false);
}
