package dev.beckon.models;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds where each key and value of a TOML document stands in its text.
 *
 * <p>Jackson's TOML parser builds a tree without positions, so every semantic error would lose its
 * line. This scanner walks the same text a second time and records, for each path (table names,
 * keys and array indexes, as {@code List.of("services", "hello", "exec", 2)}), the line and column
 * of its key and of its value. It runs only on text that Jackson has already accepted, so it needs
 * no error handling of its own: on malformed input it simply records less.
 *
 * <p>It stops at the first key deeper than {@link #MAX_KEY_DEPTH}: each path it records is a copy,
 * so an unbounded dotted key would cost the square of its length.
 */
final class TomlLocator {
    /** A 1-based line and column. */
    record Position(int line, int column) {}

    /**
     * The most levels of tables, keys and array elements a key may sit under. A model's deepest key,
     * {@code services.NAME.on-demand.listen[0]}, is 5 levels deep.
     */
    static final int MAX_KEY_DEPTH = 32;

    /** Ends the scan at a key deeper than {@link #MAX_KEY_DEPTH}. */
    private static final class TooDeep extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooDeep() {
            super(null, null, false, false);
        }
    }

    private final String text;
    private int index;
    private int line = 1;
    private int column = 1;
    private final Map<List<Object>, Position> keys = new HashMap<>();
    private final Map<List<Object>, Position> values = new HashMap<>();
    private final Map<List<Object>, Integer> arrayTableCounts = new HashMap<>();
    private Position tooDeep;

    private TomlLocator(String text) {
        this.text = text;
    }

    static TomlLocator scan(String text) {
        TomlLocator locator = new TomlLocator(text);
        try {
            locator.document();
        } catch (TooDeep stop) {
            // Recorded in tooDeep; the file is refused, so nothing else is looked up.
        } catch (RuntimeException malformed) {
            // Only reached on text Jackson rejected; what was recorded so far is still right.
        }
        return locator;
    }

    /** Where the first key deeper than {@link #MAX_KEY_DEPTH} is written, if there is one. */
    Optional<Position> tooDeep() {
        return Optional.ofNullable(tooDeep);
    }

    /** Where the key of this path is written (a table's header for tables). */
    Position keyOf(List<Object> path) {
        return keys.get(path);
    }

    /** Where the value of this path starts. */
    Position valueOf(List<Object> path) {
        return values.get(path);
    }

    private void document() {
        List<Object> table = List.of();
        while (true) {
            skipBlankLinesAndComments();
            if (atEnd()) {
                return;
            }
            if (peek() == '[') {
                table = tableHeader();
            } else {
                keyValue(table);
            }
        }
    }

    private List<Object> tableHeader() {
        Position where = position();
        boolean arrayOfTables = peekAt(1) == '[';
        advance(arrayOfTables ? 2 : 1);
        List<Object> name = new ArrayList<>(dottedKey(0, where));
        skipSpaces();
        advance(arrayOfTables ? 2 : 1);
        recordPrefixes(List.of(), name, where);
        if (arrayOfTables) {
            int element = arrayTableCounts.merge(List.copyOf(name), 1, Integer::sum) - 1;
            name.add(element);
        }
        List<Object> path = List.copyOf(name);
        keys.putIfAbsent(path, where);
        values.putIfAbsent(path, where);
        return path;
    }

    private void keyValue(List<Object> base) {
        Position where = position();
        List<String> key = dottedKey(base.size(), where);
        skipSpaces();
        advance(1); // '='
        skipSpaces();
        recordPrefixes(base, key.subList(0, key.size() - 1), where);
        List<Object> path = append(base, key);
        keys.put(path, where);
        value(path);
    }

    private void value(List<Object> path) {
        values.put(path, position());
        char c = peek();
        if (c == '"' || c == '\'') {
            skipString();
        } else if (c == '[') {
            advance(1);
            int element = 0;
            while (true) {
                skipBlankLinesAndComments();
                if (peek() == ']') {
                    advance(1);
                    return;
                }
                value(append(path, List.of(element++)));
                skipBlankLinesAndComments();
                if (peek() == ',') {
                    advance(1);
                }
            }
        } else if (c == '{') {
            advance(1);
            while (true) {
                skipSpaces();
                if (peek() == '}') {
                    advance(1);
                    return;
                }
                keyValue(path);
                skipSpaces();
                if (peek() == ',') {
                    advance(1);
                }
            }
        } else {
            while (!atEnd() && ",]}\r\n#".indexOf(peek()) < 0) {
                advance(1);
            }
        }
    }

    /** A key's parts; {@code depth}: how deep the table it is written in already is. */
    private List<String> dottedKey(int depth, Position where) {
        List<String> parts = new ArrayList<>();
        while (true) {
            if (depth + parts.size() >= MAX_KEY_DEPTH) {
                tooDeep = where;
                throw new TooDeep();
            }
            skipSpaces();
            char c = peek();
            if (c == '"') {
                parts.add(basicStringContent());
            } else if (c == '\'') {
                advance(1);
                int start = index;
                while (peek() != '\'') {
                    advance(1);
                }
                parts.add(text.substring(start, index));
                advance(1);
            } else {
                int start = index;
                while (!atEnd() && isBareKeyChar(peek())) {
                    advance(1);
                }
                parts.add(text.substring(start, index));
            }
            skipSpaces();
            if (!atEnd() && peek() == '.') {
                advance(1);
            } else {
                return parts;
            }
        }
    }

    private String basicStringContent() {
        advance(1);
        StringBuilder out = new StringBuilder();
        while (peek() != '"') {
            char c = peek();
            if (c == '\\') {
                advance(1);
                char escape = peek();
                advance(1);
                switch (escape) {
                    case 'b' -> out.append('\b');
                    case 't' -> out.append('\t');
                    case 'n' -> out.append('\n');
                    case 'f' -> out.append('\f');
                    case 'r' -> out.append('\r');
                    case 'u' -> out.appendCodePoint(hex(4));
                    case 'U' -> out.appendCodePoint(hex(8));
                    default -> out.append(escape);
                }
            } else {
                out.append(c);
                advance(1);
            }
        }
        advance(1);
        return out.toString();
    }

    private int hex(int digits) {
        int value = Integer.parseUnsignedInt(text.substring(index, index + digits), 16);
        advance(digits);
        return value;
    }

    private void skipString() {
        char quote = peek();
        boolean multiline = text.startsWith(String.valueOf(quote).repeat(3), index);
        advance(multiline ? 3 : 1);
        while (true) {
            char c = peek();
            if (c == '\\' && quote == '"') {
                advance(2);
            } else if (c == quote && (!multiline || text.startsWith(String.valueOf(quote).repeat(3), index))) {
                advance(multiline ? 3 : 1);
                // A multi-line string may end with up to two quotes of its own before the delimiter.
                while (multiline && !atEnd() && peek() == quote) {
                    advance(1);
                }
                return;
            } else {
                advance(1);
            }
        }
    }

    private void recordPrefixes(List<Object> base, List<?> dotted, Position where) {
        List<Object> path = new ArrayList<>(base);
        for (Object part : dotted) {
            path.add(part);
            keys.putIfAbsent(List.copyOf(path), where);
            values.putIfAbsent(List.copyOf(path), where);
        }
    }

    private static List<Object> append(List<Object> base, List<?> more) {
        List<Object> path = new ArrayList<>(base.size() + more.size());
        path.addAll(base);
        path.addAll(more);
        return List.copyOf(path);
    }

    private static boolean isBareKeyChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private void skipSpaces() {
        while (!atEnd() && (peek() == ' ' || peek() == '\t')) {
            advance(1);
        }
    }

    private void skipBlankLinesAndComments() {
        while (!atEnd()) {
            char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                advance(1);
            } else if (c == '#') {
                while (!atEnd() && peek() != '\n') {
                    advance(1);
                }
            } else {
                return;
            }
        }
    }

    private Position position() {
        return new Position(line, column);
    }

    private boolean atEnd() {
        return index >= text.length();
    }

    private char peek() {
        return text.charAt(index);
    }

    private char peekAt(int offset) {
        return index + offset < text.length() ? text.charAt(index + offset) : '\0';
    }

    private void advance(int count) {
        for (int n = 0; n < count && index < text.length(); n++) {
            if (text.charAt(index) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
            index++;
        }
    }
}
