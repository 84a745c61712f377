package dev.beckon.models;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * When an on-demand service counts as stuck: its process runs while a connection stays queued on its socket,
 * unaccepted, for this long. The systemd-unit container setting {@code stuck-after} ({@code [targets.T.containers.
 * systemd-unit] stuck-after = "10s"}); {@code status} and {@code plan} then wait at most this long, and only
 * while a connection is queued, to tell a hung service from a busy one; a deploy whose activation leaves one
 * stuck fails and is undone.
 */
public final class StuckAfter {
    /** The container setting's name. */
    public static final String KEY = "stuck-after";
    public static final Duration DEFAULT = Duration.ofSeconds(10);
    private static final Duration LEAST = Duration.ofMillis(100);
    /** Longer, and a status would seem to hang while it watches. */
    private static final Duration MOST = Duration.ofMinutes(5);

    private StuckAfter() {}

    /** What is wrong with a written {@code stuck-after}, in words for the model's error; empty when it is fine. */
    public static Optional<String> problem(String text) {
        try {
            Duration duration = Durations.parse(text);
            return duration.compareTo(LEAST) < 0 || duration.compareTo(MOST) > 0
                    ? Optional.of(KEY + " " + Messages.quote(text) + " is outside " + Durations.format(LEAST) + " to " + Durations.format(MOST))
                    : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(KEY + ": " + e.getMessage());
        }
    }

    /** The container's setting (validated when the model was read), else {@link #DEFAULT}. */
    public static Duration of(Map<String, String> containerSettings) {
        String text = containerSettings.get(KEY);
        return text == null || problem(text).isPresent() ? DEFAULT : Durations.parse(text);
    }
}
