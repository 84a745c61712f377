package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Typed access to the values of a TOML file: each value of the wrong type, each unknown key and
 * each name that is not safe becomes a diagnostic at the value's place, and the caller gets nothing.
 */
final class ValueReader {
    /** Service, target, port and container names: safe as unit names, file names and placeholders. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** Linux's {@code MAX_ARG_STRLEN} (32 pages of 4 KiB) less the terminating NUL. */
    static final int MAX_ARGUMENT_BYTES = 32 * 4096 - 1;

    private final Diagnostics diagnostics;

    ValueReader(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    void checkKeys(Node table, Collection<String> allowed, String what) {
        if (!table.json().isObject()) {
            return;
        }
        for (String key : table.keys()) {
            if (!allowed.contains(key)) {
                Node child = table.get(key).orElseThrow();
                diagnostics.error(child.keyWhere(), "unknown key " + Messages.name(key) + " in " + what
                        + Suggestions.didYouMean(key, allowed) + "; known keys: " + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    Optional<Node> required(Node table, String key) {
        Optional<Node> value = table.get(key);
        if (value.isEmpty()) {
            diagnostics.error(table.keyWhere(), table.display() + " needs " + key);
        }
        return value;
    }

    boolean checkName(Node node, String name, String kind) {
        if (NAME.matcher(name).matches()) {
            return true;
        }
        diagnostics.error(node.keyWhere(), kind + " name " + Messages.quote(name) + " must be 1-63 lower-case letters, digits and "
                + "hyphens, starting with a letter or digit, so it is safe in unit and file names");
        return false;
    }

    Optional<Node> table(Node node) {
        return expect(node, node.json().isObject(), "a table");
    }

    Optional<Node> array(Node node) {
        return expect(node, node.json().isArray(), "an array");
    }

    Optional<String> string(Node node) {
        return expect(node, node.json().isTextual(), "a string").map(n -> n.json().asText()).filter(text -> isUnicode(node, text));
    }

    Optional<Boolean> bool(Node node) {
        return expect(node, node.json().isBoolean(), "a boolean (true or false)").map(n -> n.json().asBoolean());
    }

    /** Strings, integers and booleans, as the text a program would see; people write {@code PORT = 8080}. */
    Optional<String> scalarText(Node node) {
        return expect(node, node.json().isTextual() || node.json().isIntegralNumber() || node.json().isBoolean(),
                "a string, integer or boolean").map(n -> n.json().asText()).filter(text -> isUnicode(node, text));
    }

    /**
     * A {@code \uD800}-style escape names half of a UTF-16 pair, no character: TOML forbids it, the
     * parser lets it through, and no file or argument written as UTF-8 could carry it.
     */
    private boolean isUnicode(Node node, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                diagnostics.error(node.where(), node.display() + " holds " + String.format("\\u%04X", (int) c)
                        + ", half of a UTF-16 surrogate pair, which is no Unicode character");
                return false;
            }
        }
        return true;
    }

    /**
     * Linux passes at most {@value #MAX_ARGUMENT_BYTES} bytes in one argument or environment entry
     * ({@code MAX_ARG_STRLEN}, with its NUL); a longer one could never reach the program.
     */
    boolean fitsInOneArgument(Node node, String text, String passed) {
        int bytes = passed.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ARGUMENT_BYTES) {
            diagnostics.error(node.where(), node.display() + " is " + bytes + " bytes long" + (passed.equals(text) ? "" : " with its name")
                    + "; Linux passes at most " + MAX_ARGUMENT_BYTES + " bytes in one argument or environment variable");
            return false;
        }
        return true;
    }

    private Optional<Node> expect(Node node, boolean matches, String expected) {
        if (!matches) {
            diagnostics.error(node.where(), node.display() + " must be " + expected + ", not " + node.typeName());
            return Optional.empty();
        }
        return Optional.of(node);
    }
}
