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
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
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

    /**
     * The most a model file may hold: room for some 30,000 services. It is there so that a wrong path
     * or a runaway generator gives an error instead of exhausting the memory, and it keeps every
     * string below the parser's own limit on string length, which it reports without a place.
     */
    static final int MAX_FILE_BYTES = 16 << 20;

    /** Reads and parses a file; a missing, unreadable, oversized or malformed file becomes a diagnostic. */
    static Optional<TomlFile> read(Path path, Diagnostics diagnostics) {
        String text;
        try {
            Optional<String> notAFile = notARegularFile(path);
            if (notAFile.isPresent()) {
                diagnostics.error(SourceLocation.wholeFile(path), notAFile.get());
                return Optional.empty();
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(path)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
            if (bytes.length > MAX_FILE_BYTES) {
                diagnostics.error(lineAt(path, bytes, MAX_FILE_BYTES), "the file goes on past " + (MAX_FILE_BYTES >> 20)
                        + " MiB, the most a model file may hold; split the model or check that this is the right file");
                return Optional.empty();
            }
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (NoSuchFileException e) {
            diagnostics.error(SourceLocation.wholeFile(path), "no such file");
            return Optional.empty();
        } catch (CharacterCodingException e) {
            diagnostics.error(SourceLocation.wholeFile(path), "not valid UTF-8, which TOML requires");
            return Optional.empty();
        } catch (IOException e) {
            diagnostics.error(SourceLocation.wholeFile(path), "cannot read: " + Messages.printable(String.valueOf(e)));
            return Optional.empty();
        }
        try {
            JsonNode root = MAPPER.readTree(text);
            TomlLocator locator = TomlLocator.scan(text);
            Optional<TomlLocator.Position> tooDeep = locator.tooDeep();
            if (tooDeep.isPresent()) {
                diagnostics.error(new SourceLocation(path, tooDeep.get().line(), tooDeep.get().column()), "this key nests more than "
                        + TomlLocator.MAX_KEY_DEPTH + " levels deep, deeper than any model needs (services.NAME.on-demand.listen "
                        + "is 4); write it as a shorter key");
                return Optional.empty();
            }
            return Optional.of(new TomlFile(path, root, locator));
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

    /**
     * Why a path cannot be read as a model file, if it cannot: a FIFO would block the read until
     * something writes to it, and a device such as {@code /dev/zero} never ends.
     */
    private static Optional<String> notARegularFile(Path path) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        if (attributes.isRegularFile()) {
            return Optional.empty();
        }
        String kind = attributes.isDirectory() ? "a directory" : "a FIFO, socket or device";
        return Optional.of("not a regular file but " + kind + "; give the path of a TOML file");
    }

    /** The line and column of a byte offset, for a limit crossed there. */
    private static SourceLocation lineAt(Path path, byte[] bytes, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new SourceLocation(path, line, offset - lineStart + 1);
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
