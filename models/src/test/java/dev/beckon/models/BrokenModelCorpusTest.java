package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every directory under {@code broken-models/} is a model with mistakes in it and, in
 * {@code expected-errors.txt}, exactly the diagnostics it must produce, in order, with paths relative
 * to the directory ({@code $CASE} stands for its absolute path).
 */
class BrokenModelCorpusTest {

    @TestFactory
    Stream<DynamicTest> eachBrokenModelFailsWithExactlyItsExpectedErrors() throws IOException, URISyntaxException {
        Path corpus = Path.of(getClass().getResource("/broken-models").toURI());
        List<Path> cases;
        try (Stream<Path> entries = Files.list(corpus)) {
            cases = entries.filter(Files::isDirectory).sorted().toList();
        }
        assertFalse(cases.isEmpty(), "no broken models found in " + corpus);
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            List<String> expected = Files.readAllLines(dir.resolve("expected-errors.txt"));
            assertFalse(expected.isEmpty(), "expected-errors.txt of " + dir.getFileName() + " is empty");
            InvalidModelException failure = assertThrows(InvalidModelException.class, () -> ModelLoader.load(dir));
            List<String> actual = failure.diagnostics().stream()
                    .map(d -> new Diagnostic(d.severity(),
                            new SourceLocation(dir.relativize(d.location().file()), d.location().line(), d.location().column()),
                            d.message().replace(dir.toString(), "$CASE")).toString())
                    .toList();
            assertEquals(String.join("\n", expected), String.join("\n", actual));
        }));
    }
}
