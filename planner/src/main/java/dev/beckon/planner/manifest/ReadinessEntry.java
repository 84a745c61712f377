package dev.beckon.planner.manifest;

import dev.beckon.activation.InstanceReadiness;
import dev.beckon.models.Durations;
import dev.beckon.models.HealthCheck;
import dev.beckon.models.Messages;
import java.util.List;
import java.util.Optional;

/**
 * An instance's readiness as the manifest records it ({@link InstanceReadiness}); durations in the model's syntax.
 * An instance that declares none records none, so manifests recorded before readiness existed keep their hash.
 *
 * @param health the check's kind ({@code tcp}, {@code http}, {@code exec}), empty when none is declared
 */
public record ReadinessEntry(boolean notifies, String timeout, String health, List<String> probe, String healthTimeout,
        String interval, int retries, boolean verify) {
    public static final ReadinessEntry NONE = of(InstanceReadiness.NONE);

    public ReadinessEntry {
        timeout = timeout == null ? "" : timeout;
        health = health == null ? "" : health;
        probe = probe == null ? List.of() : List.copyOf(probe);
        healthTimeout = healthTimeout == null ? "" : healthTimeout;
        interval = interval == null ? "" : interval;
    }

    public static ReadinessEntry of(InstanceReadiness readiness) {
        Optional<InstanceReadiness.Health> health = readiness.health();
        return new ReadinessEntry(readiness.notifies(), Durations.format(readiness.timeout()),
                health.map(h -> h.kind().modelName()).orElse(""), health.map(InstanceReadiness.Health::probe).orElse(List.of()),
                health.map(h -> Durations.format(h.timeout())).orElse(""), health.map(h -> Durations.format(h.interval())).orElse(""),
                health.map(InstanceReadiness.Health::retries).orElse(0), readiness.verifyStart());
    }

    /** The readiness as its module takes it. */
    public InstanceReadiness toReadiness(String id) {
        Optional<InstanceReadiness.Health> check = health.isEmpty() ? Optional.empty()
                : Optional.of(new InstanceReadiness.Health(HealthCheck.Kind.named(health).orElseThrow(() -> new IllegalArgumentException(
                        id + ": the manifest's health check kind " + Messages.quote(health) + " is none this beckon knows")),
                        probe, Durations.parse(healthTimeout), Durations.parse(interval), retries));
        return new InstanceReadiness(notifies, Durations.parse(timeout), check, verify);
    }

    /** For {@code @JsonInclude}: an entry without readiness leaves it out. */
    static final class Unset {
        @Override
        public boolean equals(Object value) {
            return value == null || NONE.equals(value);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }
}
