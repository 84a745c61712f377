package dev.beckon.activation;

import dev.beckon.models.Durations;
import java.time.Duration;
import java.util.Optional;

/**
 * Waits for an activated instance's declared health check to pass, and asks it for {@code status}:
 * every module's, so the check means the same whatever manages the service.
 */
public final class ReadinessWait {
    private ReadinessWait() {}

    /** What the module knows about whether the instance still runs while beckon waits for it. */
    public interface Liveness {
        /** Empty while the instance runs (or may still start); else how it stopped. */
        Optional<String> stopped() throws ActivationException;
    }

    /**
     * Returns once the instance's health check passes; an instance without one returns at once.
     *
     * @throws ActivationException when it stops first, or does not pass within its ready timeout
     */
    public static void awaitHealthy(ServiceInstance instance, Liveness liveness) throws ActivationException {
        Optional<InstanceReadiness.Health> declared = instance.readiness().health();
        if (declared.isEmpty()) {
            return;
        }
        InstanceReadiness.Health health = declared.get();
        Duration timeout = instance.readiness().timeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "it has not been tried";
        while (true) {
            Optional<String> stopped = liveness.stopped();
            if (stopped.isPresent()) {
                throw new ActivationException(instance.id(), "it stopped before it was ready (" + stopped.get() + "); its health check "
                        + HealthProbe.describe(health) + " last said: " + last);
            }
            HealthProbe.Result result;
            try {
                result = HealthProbe.run(health);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(instance.id(), "interrupted while waiting for its health check", e);
            }
            if (result.passed()) {
                return;
            }
            last = result.output();
            if (System.nanoTime() + health.interval().toNanos() > deadline) {
                // One more look: a service that died explains more than a timeout does.
                Optional<String> gone = liveness.stopped();
                throw new ActivationException(instance.id(), "it was not ready within its ready-timeout of " + Durations.format(timeout)
                        + (gone.map(g -> " and stopped (" + g + ")").orElse("")) + ": its health check " + HealthProbe.describe(health)
                        + " last said: " + last);
            }
            pause(instance, health.interval());
        }
    }

    /**
     * The verdict of a running instance's health check for {@code status}: empty when it passes (or none
     * is declared), else the check's last output. It is tried up to its {@code retries} times.
     */
    public static Optional<String> unhealthy(ServiceInstance instance) throws ActivationException {
        Optional<InstanceReadiness.Health> declared = instance.readiness().health();
        if (declared.isEmpty()) {
            return Optional.empty();
        }
        InstanceReadiness.Health health = declared.get();
        String last = "";
        for (int attempt = 1; attempt <= health.retries(); attempt++) {
            HealthProbe.Result result;
            try {
                result = HealthProbe.run(health);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(instance.id(), "interrupted while running its health check", e);
            }
            if (result.passed()) {
                return Optional.empty();
            }
            last = result.output();
            if (attempt < health.retries()) {
                pause(instance, health.interval());
            }
        }
        return Optional.of("its health check " + HealthProbe.describe(health) + " failed " + health.retries()
                + (health.retries() == 1 ? " time: " : " times in a row: ") + last);
    }

    /** A running instance's status, made {@link InstanceStatus.Activity#UNHEALTHY} when its health check fails. */
    public static InstanceStatus withHealth(ServiceInstance instance, InstanceStatus status) throws ActivationException {
        if (status.activity() != InstanceStatus.Activity.RUNNING) {
            return status;
        }
        Optional<String> unhealthy = unhealthy(instance);
        return unhealthy.map(why -> new InstanceStatus(status.presence(), InstanceStatus.Activity.UNHEALTHY, status.drift(),
                (status.detail().isEmpty() ? "" : status.detail() + "; ") + why)).orElse(status);
    }

    private static void pause(ServiceInstance instance, Duration interval) throws ActivationException {
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(instance.id(), "interrupted while waiting for its health check", e);
        }
    }
}
