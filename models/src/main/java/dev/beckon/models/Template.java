package dev.beckon.models;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A model string with placeholders: literal text reaches the service byte for byte, {@code {...}}
 * is replaced per target, {@code {{} and {@code }}} stand for literal braces.
 */
public final class Template {
    private sealed interface Part permits Literal, Reference {}

    private record Literal(String text) implements Part {}

    private record Reference(Placeholder placeholder) implements Part {}

    private final String source;
    private final List<Part> parts;

    /** Asked for every instance of the service: worked out once. */
    private final List<Placeholder> placeholders;

    private Template(String source, List<Part> parts) {
        this.source = source;
        this.parts = List.copyOf(parts);
        this.placeholders = this.parts.stream().flatMap(p -> p instanceof Reference r ? Stream.of(r.placeholder()) : Stream.empty())
                .toList();
    }

    /** A template without placeholders, for text that needs none. */
    public static Template literal(String text) {
        return new Template(text.replace("{", "{{").replace("}", "}}"), List.of(new Literal(text)));
    }

    /**
     * Parses a model string.
     *
     * @throws IllegalArgumentException with a message fit for the user when a brace is unbalanced or a
     *     placeholder is unknown
     */
    public static Template parse(String source) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (c == '{' && source.startsWith("{{", i)) {
                literal.append('{');
                i += 2;
            } else if (c == '}' && source.startsWith("}}", i)) {
                literal.append('}');
                i += 2;
            } else if (c == '}') {
                throw new IllegalArgumentException("unmatched '}' at offset " + i + " in " + Messages.quote(source)
                        + "; write '}}' for a literal brace");
            } else if (c == '{') {
                int close = source.indexOf('}', i);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed '{' at offset " + i + " in " + Messages.quote(source)
                            + "; write '{{' for a literal brace");
                }
                String inside = source.substring(i + 1, close);
                Placeholder placeholder = Placeholder.parse(inside).orElseThrow(() -> new IllegalArgumentException(
                        "unknown placeholder " + Messages.quote("{" + inside + "}") + " in " + Messages.quote(source)
                                + "; known forms: " + Placeholder.KNOWN_FORMS + "; write {{ and }} for literal braces"));
                if (literal.length() > 0) {
                    parts.add(new Literal(literal.toString()));
                    literal.setLength(0);
                }
                parts.add(new Reference(placeholder));
                i = close + 1;
            } else {
                literal.append(c);
                i++;
            }
        }
        if (literal.length() > 0 || parts.isEmpty()) {
            parts.add(new Literal(literal.toString()));
        }
        return new Template(source, parts);
    }

    /** The placeholders this template uses, in order of appearance. */
    public List<Placeholder> placeholders() {
        return placeholders;
    }

    /** Fills every placeholder with the value the function gives for it. */
    public String render(Function<Placeholder, String> values) {
        StringBuilder out = new StringBuilder();
        for (Part part : parts) {
            if (part instanceof Literal l) {
                out.append(l.text());
            } else if (part instanceof Reference r) {
                out.append(values.apply(r.placeholder()));
            }
        }
        return out.toString();
    }

    /** The text as the user wrote it. */
    public String source() {
        return source;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Template t && t.parts.equals(parts);
    }

    @Override
    public int hashCode() {
        return parts.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }
}
