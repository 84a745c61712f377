package dev.beckon.models;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as users write them in models: {@code 4096}, {@code 512KiB}, {@code 64MiB}, {@code 2GiB}, {@code 1TiB}, with
 * {@code K}, {@code M}, {@code G}, {@code T} as systemd writes them (also powers of 1024); {@code B} for bytes.
 * Decimal units (kB, MB) are refused, so nobody gets 1000 where they meant 1024.
 */
public final class Sizes {
    /** How to write a size, for messages. */
    public static final String SYNTAX = "write a number of bytes, or one with KiB, MiB, GiB or TiB (or K, M, G, T), like \"64MiB\"";

    private static final Pattern SIZE = Pattern.compile("([0-9]+)\\s*(B|K|KiB|M|MiB|G|GiB|T|TiB)?");

    private Sizes() {}

    /**
     * Parses a size.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static long parse(String text) {
        Matcher matcher = SIZE.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(Messages.quote(text) + " is not a size; " + SYNTAX);
        }
        String unit = matcher.group(2) == null ? "B" : matcher.group(2);
        int shift = switch (unit.charAt(0)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        try {
            long number = Long.parseLong(matcher.group(1));
            if (number > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return number << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size " + Messages.quote(text) + " is too large");
        }
    }

    /** Writes a size back in the model's syntax, in the largest unit that divides it. */
    public static String format(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            int shift = 40 - 10 * i;
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + units[i];
            }
        }
        return String.valueOf(bytes);
    }

    /** {@code bytes} for people, rounded to one decimal: {@code "12.3MiB"}. */
    public static String approximate(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (40 - 10 * i);
            if (bytes >= unit) {
                return String.format(java.util.Locale.ROOT, "%.1f%s", (double) bytes / unit, units[i]);
            }
        }
        return bytes + "B";
    }
}
