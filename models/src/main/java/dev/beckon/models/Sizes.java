package dev.beckon.models;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as models write them: a number of bytes ({@code 1048576}, {@code "1048576"}) or a
 * number with a binary unit ({@code "64KiB"}, {@code "256MiB"}, {@code "1GiB"}, {@code "2TiB"}), the
 * units systemd and the kernel count in. Decimal units (MB, GB) are refused rather than guessed at: a
 * "256MB" that meant 256 MiB would be a limit 5 % lower than its author thought.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})\\s*(B|KiB|MiB|GiB|TiB)?");
    private static final Map<String, Long> UNITS = Map.of("B", 1L, "KiB", 1L << 10, "MiB", 1L << 20, "GiB", 1L << 30, "TiB", 1L << 40);

    private Sizes() {}

    /**
     * The bytes of {@code text}.
     *
     * @throws IllegalArgumentException saying what a size looks like, when {@code text} is none or is
     *     more bytes than a long holds
     */
    public static long parse(String text) {
        Matcher matcher = SIZE.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("must be a size like \"64MiB\", \"1GiB\" or a number of bytes (units B, KiB, MiB, GiB, TiB), not "
                    + Messages.quote(text));
        }
        long unit = matcher.group(2) == null ? 1 : UNITS.get(matcher.group(2));
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("is more bytes than any machine has: " + Messages.quote(text), e);
        }
    }

    /** {@code bytes} in the largest binary unit that shows it exactly, as {@link #parse} reads it: {@code "256MiB"}. */
    public static String format(long bytes) {
        String[] names = {"TiB", "GiB", "MiB", "KiB"};
        for (String name : names) {
            long unit = UNITS.get(name);
            if (bytes >= unit && bytes % unit == 0) {
                return bytes / unit + name;
            }
        }
        return bytes + "B";
    }

    /** {@code bytes} for people, rounded to one decimal: {@code "12.3MiB"}. */
    public static String approximate(long bytes) {
        String[] names = {"TiB", "GiB", "MiB", "KiB"};
        for (String name : names) {
            long unit = UNITS.get(name);
            if (bytes >= unit) {
                return String.format(java.util.Locale.ROOT, "%.1f%s", (double) bytes / unit, name);
            }
        }
        return bytes + "B";
    }
}
