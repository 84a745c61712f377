package dev.beckon.models;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlReadFeature;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/** One parsed TOML file whose every node knows where it was written. */
final class TomlFile {
    private static final TomlMapper MAPPER = TomlMapper.builder()
            // Dates become their own node type, so a date where a string belongs is an error, not a string.
            .enable(TomlReadFeature.PARSE_JAVA_TIME)
            .build();

    private final Path path;
    private final JsonNode root;
    private final TomlLocator locator;

    private TomlFile(Path path, JsonNode root, TomlLocator locator) {
        this.path = path;
        this.root = root;
        this.locator = locator;
    }

    /** Reads and parses a file; a missing, unreadable or malformed file becomes a diagnostic. */
    static Optional<TomlFile> read(Path path, Diagnostics diagnostics) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(path)))
                    .toString();
        } catch (NoSuchFileException e) {
            diagnostics.error(SourceLocation.wholeFile(path), "no such file");
            return Optional.empty();
        } catch (CharacterCodingException e) {
            diagnostics.error(SourceLocation.wholeFile(path), "not valid UTF-8, which TOML requires");
            return Optional.empty();
        } catch (IOException e) {
            diagnostics.error(SourceLocation.wholeFile(path), "cannot read: " + e);
            return Optional.empty();
        }
        try {
            JsonNode root = MAPPER.readTree(text);
            return Optional.of(new TomlFile(path, root, TomlLocator.scan(text)));
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            SourceLocation where = at != null ? new SourceLocation(path, Math.max(1, at.getLineNr()), Math.max(1, at.getColumnNr()))
                    // The parser's limits come without a location; the one on nesting can be found again.
                    : e instanceof StreamConstraintsException ? tooDeep(text, path).orElse(SourceLocation.wholeFile(path))
                    : SourceLocation.wholeFile(path);
            diagnostics.error(where, "TOML syntax: " + e.getOriginalMessage());
            return Optional.empty();
        }
    }

    /** The first array or inline table that opens deeper than the parser's nesting limit. */
    private static Optional<SourceLocation> tooDeep(String text, Path path) {
        int limit = StreamReadConstraints.DEFAULT_MAX_DEPTH;
        int depth = 0;
        int line = 1;
        int column = 0;
        String quote = null;
        boolean comment = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            column++;
            if (c == '\n') {
                line++;
                column = 0;
                comment = false;
            } else if (comment) {
                continue;
            } else if (quote != null) {
                if (c == '\\' && quote.startsWith("\"")) {
                    i++;
                    column++;
                } else if (text.startsWith(quote, i)) {
                    i += quote.length() - 1;
                    column += quote.length() - 1;
                    quote = null;
                }
            } else if (c == '#') {
                comment = true;
            } else if (c == '"' || c == '\'') {
                quote = text.startsWith(String.valueOf(c).repeat(3), i) ? String.valueOf(c).repeat(3) : String.valueOf(c);
                i += quote.length() - 1;
                column += quote.length() - 1;
            } else if (c == '[' || c == '{') {
                if (++depth > limit) {
                    return Optional.of(new SourceLocation(path, line, column));
                }
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        return Optional.empty();
    }

    Path path() {
        return path;
    }

    Node root() {
        return new Node(this, List.of(), root);
    }

    /** Where a path's value starts; for a path not written out, its nearest written ancestor. */
    SourceLocation valueLocation(List<Object> nodePath) {
        return locate(nodePath, false);
    }

    /** Where a path's key is written. */
    SourceLocation keyLocation(List<Object> nodePath) {
        return locate(nodePath, true);
    }

    private SourceLocation locate(List<Object> nodePath, boolean key) {
        for (int length = nodePath.size(); length > 0; length--) {
            List<Object> prefix = nodePath.subList(0, length);
            TomlLocator.Position p = key ? locator.keyOf(prefix) : locator.valueOf(prefix);
            if (p != null) {
                return new SourceLocation(path, p.line(), p.column());
            }
        }
        return SourceLocation.startOf(path);
    }

    /** A value in the file with its path, so every message about it can say where it is. */
    record Node(TomlFile file, List<Object> path, JsonNode json) {

        Optional<Node> get(String key) {
            JsonNode child = json.get(key);
            return child == null ? Optional.empty() : Optional.of(new Node(file, append(key), child));
        }

        List<Node> elements() {
            List<Node> out = new ArrayList<>();
            for (int i = 0; i < json.size(); i++) {
                out.add(new Node(file, append(i), json.get(i)));
            }
            return out;
        }

        List<String> keys() {
            List<String> out = new ArrayList<>();
            for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
                out.add(names.next());
            }
            return out;
        }

        SourceLocation where() {
            return file.valueLocation(path);
        }

        SourceLocation keyWhere() {
            return file.keyLocation(path);
        }

        /** The path as a user would write it: {@code services.hello.exec[2]}. */
        String display() {
            StringBuilder out = new StringBuilder();
            for (Object part : path) {
                if (part instanceof Integer i) {
                    out.append('[').append(i).append(']');
                } else {
                    String key = (String) part;
                    if (out.length() > 0) {
                        out.append('.');
                    }
                    out.append(Messages.name(key));
                }
            }
            return out.toString();
        }

        /** The TOML name of this value's type, for messages. */
        String typeName() {
            JsonNodeType type = json.getNodeType();
            return switch (type) {
                case STRING -> "a string";
                case NUMBER -> json.isIntegralNumber() ? "an integer" : "a float";
                case BOOLEAN -> "a boolean";
                case ARRAY -> "an array";
                case OBJECT -> "a table";
                case POJO -> "a date-time";
                default -> "a " + type.name().toLowerCase();
            };
        }

        private List<Object> append(Object part) {
            List<Object> longer = new ArrayList<>(path);
            longer.add(part);
            return List.copyOf(longer);
        }
    }
}
