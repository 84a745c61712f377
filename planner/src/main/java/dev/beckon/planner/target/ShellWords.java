package dev.beckon.planner.target;

import dev.beckon.models.Messages;
import java.util.regex.Pattern;

/** Shows command lines the way a shell user would type them, for output meant for people. */
public final class ShellWords {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellWords() {}

    public static String quote(String word) {
        if (PLAIN.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * A word shown to people: as {@link #quote} writes it, unless it holds control characters, which
     * would break or overwrite the line it is shown on; then in bash's {@code $'...'} form, which a
     * shell user can still paste. Never for a command that a shell runs: {@code /bin/sh} may not know
     * that form.
     */
    public static String display(String word) {
        if (word.codePoints().noneMatch(Messages::isControl)) {
            return quote(word);
        }
        StringBuilder out = new StringBuilder("$'");
        word.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '\\' -> out.append("\\\\");
                case '\'' -> out.append("\\'");
                default -> {
                    if (Messages.isControl(c)) {
                        out.append(c <= 0xff ? String.format("\\x%02x", c) : String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.append('\'').toString();
    }
}
