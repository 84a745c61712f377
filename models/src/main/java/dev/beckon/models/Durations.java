package dev.beckon.models;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them in models: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 0}. */
public final class Durations {
    private static final Pattern WHOLE = Pattern.compile("([0-9]+(ms|s|m|h|d))+");
    private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h|d)");

    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Duration parse(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        if (!WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException(Messages.quote(text)
                    + " is not a duration; write it like 500ms, 30s, 5m, 1h30m or 0 (units: ms, s, m, h, d)");
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(text);
        try {
            while (part.find()) {
                long amount = Long.parseLong(part.group(1));
                total = total.plus(switch (part.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                });
            }
            // Whoever reads it back (beckon's renderers, the idle-monitor library) counts in milliseconds.
            total.toMillis();
        } catch (ArithmeticException | NumberFormatException tooLarge) {
            throw new IllegalArgumentException("duration " + Messages.quote(text) + " is too large");
        }
        return total;
    }

    /** Writes a duration back in the model's own syntax, the shortest way. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0";
        }
        StringBuilder out = new StringBuilder();
        long millis = duration.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int u = 0; u < sizes.length; u++) {
            if (millis >= sizes[u]) {
                out.append(millis / sizes[u]).append(units[u]);
                millis %= sizes[u];
            }
        }
        return out.toString();
    }
}
