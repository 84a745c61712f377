package dev.beckon.models;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A service's declared health check, {@code [services.X.health]}, as written: its probe's templates
 * are resolved per target like {@code exec}.
 *
 * @param probe for {@link Kind#TCP} one {@code HOST:PORT}, for {@link Kind#HTTP} one URL, for
 *     {@link Kind#EXEC} the command line
 * @param timeout how long one attempt may take
 * @param interval the pause between attempts
 * @param retries how many failed attempts in a row {@code status} waits for before it calls a running
 *     instance unhealthy (an activation retries until its ready timeout)
 */
public record HealthCheck(Kind kind, List<Template> probe, Duration timeout, Duration interval, int retries) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);
    public static final int DEFAULT_RETRIES = 3;
    public static final int MAX_RETRIES = 100;

    /** What the probe does: connects, asks for a URL (2xx passes), or runs a program (exit 0 passes). */
    public enum Kind {
        TCP, HTTP, EXEC;

        /** Its key in the model. */
        public String modelName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Optional<Kind> named(String name) {
            for (Kind kind : values()) {
                if (kind.modelName().equals(name)) {
                    return Optional.of(kind);
                }
            }
            return Optional.empty();
        }
    }

    public HealthCheck {
        probe = List.copyOf(probe);
    }
}
