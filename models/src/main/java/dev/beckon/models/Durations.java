package dev.beckon.models;

import dev.beckon.idle.DurationText;
import java.time.Duration;

/**
 * Durations as users write them in models: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 0}.
 * The syntax itself is the idle-monitor library's ({@link DurationText}), which reads the idle timeout
 * back in the service; this adds the model's messages.
 */
public final class Durations {
    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Duration parse(String text) {
        Duration total;
        try {
            total = DurationText.parse(text);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().equals("is too large")) {
                throw new IllegalArgumentException("duration " + Messages.quote(text) + " is too large");
            }
            throw new IllegalArgumentException(Messages.quote(text) + " is not a duration; " + DurationText.SYNTAX);
        }
        try {
            // Whoever reads it back (beckon's renderers, the idle-monitor library) counts in milliseconds.
            total.toMillis();
        } catch (ArithmeticException tooLarge) {
            throw new IllegalArgumentException("duration " + Messages.quote(text) + " is too large");
        }
        return total;
    }

    /** Writes a duration back in the model's own syntax, the shortest way. */
    public static String format(Duration duration) {
        return DurationText.format(duration);
    }
}
