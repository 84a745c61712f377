package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateTest {
    private static final Map<Placeholder, String> VALUES = Map.of(
            new Placeholder.PackagePath(), "/store/abc-hello.jar",
            new Placeholder.Port("http"), "8080",
            new Placeholder.DependencyHost("db"), "10.0.0.5",
            new Placeholder.DependencyPort("db", "sql"), "5432",
            new Placeholder.TargetName(), "web1",
            new Placeholder.TargetHostname(), "web1.example.org",
            new Placeholder.TargetProperty("zone"), "eu");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "plain text                          | plain text",
        "{package}                           | /store/abc-hello.jar",
        "--port={ports.http}                 | --port=8080",
        "{deps.db.host}:{deps.db.ports.sql}  | 10.0.0.5:5432",
        "{target.name}/{target.hostname}     | web1/web1.example.org",
        "zone-{target.properties.zone}       | zone-eu",
        "{{literal}} and }}                  | {literal} and }",
        "%h $PATH \\n 'quoted' \"double\"     | %h $PATH \\n 'quoted' \"double\"",
    })
    void rendersPlaceholdersAndKeepsEverythingElseByteForByte(String source, String expected) {
        assertEquals(expected, Template.parse(source).render(VALUES::get));
    }

    @Test
    void literalDollarBraceIsWrittenWithDoubledBraces() {
        assertEquals("${HOME}/x", Template.parse("${{HOME}}/x").render(VALUES::get));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Template.parse("${HOME}"));
        assertTrue(e.getMessage().contains("unknown placeholder \"{HOME}\""), e.getMessage());
        assertTrue(e.getMessage().contains("write {{ and }} for literal braces"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{ports.http          | unclosed '{'",
        "a}b                  | unmatched '}'",
        "{}                   | unknown placeholder",
        "{ports}              | unknown placeholder",
        "{ports.}             | unknown placeholder",
        "{deps.db}            | unknown placeholder",
        "{deps.db.port.sql}   | unknown placeholder",
        "{target.ip}          | unknown placeholder",
        "{PACKAGE}            | unknown placeholder",
    })
    void rejectsMalformedPlaceholders(String source, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Template.parse(source));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void listsItsPlaceholdersInOrder() {
        assertEquals(List.of(new Placeholder.DependencyHost("db"), new Placeholder.Port("http"), new Placeholder.PackagePath()),
                Template.parse("{deps.db.host} {ports.http} {{x}} {package}").placeholders());
    }

    @Test
    void literalTemplateRoundTripsBraces() {
        Template literal = Template.literal("a{b}c");
        assertEquals("a{b}c", literal.render(p -> "unused"));
        assertEquals(literal, Template.parse(literal.source()));
    }
}
