package dev.beckon.idle;

import java.time.Duration;

/**
 * Durations in the syntax beckon's models use and beckon writes into {@code BECKON_IDLE_TIMEOUT}:
 * {@code 0}, or a sequence of {@code <digits><unit>} with units {@code ms}, {@code s}, {@code m},
 * {@code h}, {@code d} ({@code 500ms}, {@code 30s}, {@code 1h30m}).
 *
 * <p>Hand-written rather than a regular expression: it runs on every cold start of an on-demand
 * service, and {@code java.util.regex} costs class loading there.
 *
 * <p>The one place of this syntax: beckon's models read and write idle timeouts through it, so what
 * a model accepts is what the library reads back.
 */
public final class DurationText {
    public static final String SYNTAX = "write it like 500ms, 30s, 5m, 1h30m or 0 (units: ms, s, m, h, d)";

    private DurationText() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException when the text is not in the syntax or too large; the message
     *     says what is wrong, without repeating the text (the caller names where it came from)
     */
    public static Duration parse(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("is empty; " + SYNTAX);
        }
        Duration total = Duration.ZERO;
        int at = 0;
        try {
            while (at < text.length()) {
                int digits = at;
                while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                    at++;
                }
                if (at == digits || at == text.length()) {
                    throw new IllegalArgumentException("is not a duration; " + SYNTAX);
                }
                long amount = Long.parseLong(text, digits, at, 10);
                if (text.startsWith("ms", at)) {
                    total = total.plusMillis(amount);
                    at += 2;
                    continue;
                }
                total = switch (text.charAt(at)) {
                    case 's' -> total.plusSeconds(amount);
                    case 'm' -> total.plus(Duration.ofMinutes(amount));
                    case 'h' -> total.plus(Duration.ofHours(amount));
                    case 'd' -> total.plus(Duration.ofDays(amount));
                    default -> throw new IllegalArgumentException("is not a duration; " + SYNTAX);
                };
                at++;
            }
        } catch (NumberFormatException | ArithmeticException tooLarge) {
            throw new IllegalArgumentException("is too large");
        }
        return total;
    }

    /** Writes a duration back in the same syntax, the shortest way, for messages. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0";
        }
        StringBuilder out = new StringBuilder();
        long millis = duration.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int unit = 0; unit < sizes.length; unit++) {
            if (millis >= sizes[unit]) {
                out.append(millis / sizes[unit]).append(units[unit]);
                millis %= sizes[unit];
            }
        }
        return out.length() == 0 ? duration.toNanos() + "ns" : out.toString();
    }

    /** A value from the environment as a message shows it: quoted, with control characters escaped. */
    static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
