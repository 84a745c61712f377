package dev.beckon.models;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A container setting that is a bounded duration, written as the model writes durations.
 *
 * <ul>
 *   <li>{@link #LOCK_TIMEOUT}: how long a deployment waits for the {@code lock} of an external module's instance
 *       ({@code [targets.T.containers.MODULE] lock-timeout = "2m"}). A module's lock may take that long, or answer
 *       "not now" (exit 75) and be asked again until then; past it the deployment fails and is undone. A container
 *       setting, since the lock is the module's verb: every instance of that module there waits as long.
 *   <li>{@link #STUCK_AFTER}: when an on-demand service counts as stuck: its process runs while a connection stays
 *       queued on its socket, unaccepted, for this long ({@code [targets.T.containers.systemd-unit] stuck-after =
 *       "10s"}). {@code status} and {@code plan} then wait at most this long, and only while a connection is queued,
 *       to tell a hung service from a busy one; a deploy whose activation leaves one stuck fails and is undone.
 * </ul>
 *
 * @param least the shortest it may be; zero: any
 * @param most the longest it may be: longer, and beckon would seem to hang while it waits or watches
 */
public record ContainerDuration(String key, Duration defaultValue, Duration least, Duration most) {
    public static final ContainerDuration LOCK_TIMEOUT =
            new ContainerDuration("lock-timeout", Duration.ofSeconds(60), Duration.ZERO, Duration.ofHours(1));
    public static final ContainerDuration STUCK_AFTER =
            new ContainerDuration("stuck-after", Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMinutes(5));

    /** What is wrong with a written value, in words for the model's error; empty when it is fine. */
    public Optional<String> problem(String text) {
        try {
            Duration duration = Durations.parse(text);
            if (least.isZero()) {
                return duration.compareTo(most) > 0
                        ? Optional.of(key + " " + Messages.quote(text) + " is longer than " + Durations.format(most) + ", the most beckon waits")
                        : Optional.empty();
            }
            return duration.compareTo(least) < 0 || duration.compareTo(most) > 0
                    ? Optional.of(key + " " + Messages.quote(text) + " is outside " + Durations.format(least) + " to " + Durations.format(most))
                    : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(key + ": " + e.getMessage());
        }
    }

    /** The container's value: its setting (validated when the model was read), else the default. */
    public Duration of(Map<String, String> containerSettings) {
        String text = containerSettings.get(key);
        return text == null || problem(text).isPresent() ? defaultValue : Durations.parse(text);
    }
}
