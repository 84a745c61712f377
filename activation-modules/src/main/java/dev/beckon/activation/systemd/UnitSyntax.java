package dev.beckon.activation.systemd;

/**
 * Writes values into unit files so that systemd reads back exactly the value, and nothing else: no
 * newline can end a directive, no {@code %} is taken for a specifier, no {@code $} for a variable.
 * See systemd.syntax(7), systemd.service(5) "Command lines" and systemd.unit(5) "Specifiers".
 */
final class UnitSyntax {
    private UnitSyntax() {}

    /** One argument of {@code ExecStart=}: double-quoted, C-escaped, with {@code %} and {@code $} doubled. */
    static String execArgument(String value) {
        return quoted(value, true);
    }

    /** One path of a list such as {@code ReadWritePaths=}: double-quoted, C-escaped, with {@code %} doubled. */
    static String path(String value) {
        return quoted(value, false);
    }

    /** One {@code Environment=} assignment: {@code "NAME=value"}, quoted and escaped. */
    static String environmentAssignment(String name, String value) {
        return quoted(name + "=" + value, false);
    }

    /**
     * A free text value such as {@code Description=}: control characters become spaces (the
     * description is only shown) and {@code %} is doubled. Backslashes stay as written: systemd does
     * not unescape free text, so a doubled one would show doubled. The caller writes more after the
     * value on its line, lest a final backslash continue the line into the next.
     */
    static String text(String value) {
        StringBuilder out = new StringBuilder();
        value.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(' ');
            } else if (c == '%') {
                out.append("%%");
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString().strip();
    }

    private static String quoted(String value, boolean doubleDollars) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    out.append(c).append(value.charAt(++i));
                    continue;
                }
                throw new IllegalArgumentException("a lone UTF-16 surrogate cannot be written into a unit file");
            }
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '%' -> out.append("%%");
                case '$' -> out.append(doubleDollars ? "$$" : "$");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
