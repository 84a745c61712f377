package dev.beckon.activation;

import dev.beckon.models.HealthCheck;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.Readiness;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * When an activation of an instance is done, resolved for its target: see {@link Readiness}.
 *
 * @param notifies the service sends {@code READY=1} itself ({@code Type=notify})
 * @param timeout how long an activation waits for it to be ready
 * @param health its declared check, its probe's placeholders filled in
 * @param verifyStart an on-demand instance is started once at activation and checked
 */
public record InstanceReadiness(boolean notifies, Duration timeout, Optional<Health> health, boolean verifyStart) {
    public static final InstanceReadiness NONE = new InstanceReadiness(false, Readiness.DEFAULT_TIMEOUT, Optional.empty(), false);

    /**
     * A health check with its probe resolved.
     *
     * @param probe {@code HOST:PORT}, a URL, or a command line
     */
    public record Health(HealthCheck.Kind kind, List<String> probe, Duration timeout, Duration interval, int retries) {
        public Health {
            probe = List.copyOf(probe);
        }
    }

    /** The model's readiness of a service, for its instance on one target with its package at {@code packagePath}. */
    public static InstanceReadiness of(InstanceSpec spec, String packagePath) {
        Readiness readiness = spec.service().readiness();
        return new InstanceReadiness(readiness.notifies(), readiness.timeout(), readiness.health().map(h -> new Health(h.kind(),
                h.probe().stream().map(t -> spec.render(t, packagePath)).toList(), h.timeout(), h.interval(), h.retries())),
                readiness.verifyStart());
    }

    /** Whether anything was declared: an instance without is activated as before readiness existed. */
    public boolean isDeclared() {
        return !equals(NONE);
    }
}
