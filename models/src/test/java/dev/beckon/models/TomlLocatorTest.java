package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TomlLocatorTest {
    private static final String DOCUMENT = String.join("\n",
            "# comment with [brackets] and = signs",
            "[services.hello]",
            "type = \"systemd-unit\"",
            "exec = [\"java\", 'x', \"\"\"multi",
            "line\"\"\", \"{package}\"]",
            "ports = { http = 8080, \"quoted.key\" = 1 }",
            "",
            "  [services.hello.on-demand]",
            "  listen = [",
            "    \"a\",  # trailing comment",
            "    'b',",
            "  ]",
            "dotted.key.path = true",
            "[[things]]",
            "n = 1",
            "[[things]]",
            "n = 2",
            "");

    private final TomlLocator locator = TomlLocator.scan(DOCUMENT);

    @Test
    void locatesTablesKeysAndValues() {
        assertEquals(new TomlLocator.Position(2, 1), locator.keyOf(List.of("services", "hello")));
        assertEquals(new TomlLocator.Position(2, 1), locator.keyOf(List.of("services")));
        assertEquals(new TomlLocator.Position(3, 1), locator.keyOf(List.of("services", "hello", "type")));
        assertEquals(new TomlLocator.Position(3, 8), locator.valueOf(List.of("services", "hello", "type")));
    }

    @Test
    void locatesArrayElementsAcrossMultiLineStrings() {
        assertEquals(new TomlLocator.Position(4, 9), locator.valueOf(List.of("services", "hello", "exec", 0)));
        assertEquals(new TomlLocator.Position(4, 17), locator.valueOf(List.of("services", "hello", "exec", 1)));
        assertEquals(new TomlLocator.Position(4, 22), locator.valueOf(List.of("services", "hello", "exec", 2)));
        assertEquals(new TomlLocator.Position(5, 10), locator.valueOf(List.of("services", "hello", "exec", 3)));
    }

    @Test
    void locatesInlineTableEntriesAndQuotedKeys() {
        assertEquals(new TomlLocator.Position(6, 11), locator.keyOf(List.of("services", "hello", "ports", "http")));
        assertEquals(new TomlLocator.Position(6, 18), locator.valueOf(List.of("services", "hello", "ports", "http")));
        assertEquals(new TomlLocator.Position(6, 24), locator.keyOf(List.of("services", "hello", "ports", "quoted.key")));
    }

    @Test
    void locatesIndentedTablesMultiLineArraysAndDottedKeys() {
        assertEquals(new TomlLocator.Position(8, 3), locator.keyOf(List.of("services", "hello", "on-demand")));
        assertEquals(new TomlLocator.Position(10, 5), locator.valueOf(List.of("services", "hello", "on-demand", "listen", 0)));
        assertEquals(new TomlLocator.Position(11, 5), locator.valueOf(List.of("services", "hello", "on-demand", "listen", 1)));
        assertEquals(new TomlLocator.Position(13, 19),
                locator.valueOf(List.of("services", "hello", "on-demand", "dotted", "key", "path")));
    }

    @Test
    void numbersArraysOfTables() {
        assertEquals(new TomlLocator.Position(15, 1), locator.keyOf(List.of("things", 0, "n")));
        assertEquals(new TomlLocator.Position(17, 1), locator.keyOf(List.of("things", 1, "n")));
    }
}
