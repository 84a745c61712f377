package dev.beckon.models;

import java.util.regex.Pattern;

/**
 * User text inside messages. A value from a model may hold a newline or a control character; printed
 * raw, it would forge a second diagnostic line, so it is shown escaped.
 */
public final class Messages {
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_.-]+");

    private Messages() {}

    /** {@code "text"}, with quotes, backslashes and control characters escaped. */
    public static String quote(String text) {
        return "\"" + escape(text, true) + "\"";
    }

    /**
     * Text shown as it is but for its control characters, escaped, so that it stays on its line and
     * cannot overwrite it ({@code \r}, terminal escapes); for values shown on their own, such as paths.
     */
    public static String printable(String text) {
        return escape(text, false);
    }

    private static String escape(String text, boolean quoted) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append(quoted ? "\\\"" : "\"");
                case '\\' -> out.append(quoted ? "\\\\" : "\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (isControl(c)) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }

    /** C0 and C1 controls, DEL, the line and paragraph separators, and lone UTF-16 surrogates. */
    public static boolean isControl(int c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029 || (c >= 0xd800 && c <= 0xdfff);
    }

    /** A name as it is when it is a plain word, quoted and escaped when it is not. */
    public static String name(String text) {
        return BARE.matcher(text).matches() ? text : quote(text);
    }
}
