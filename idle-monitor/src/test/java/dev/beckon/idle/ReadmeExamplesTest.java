package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's Java examples are the tested code: each block marked
 * {@code <!-- snippet: PATH#NAME -->} is, line for line, the part of that source file between
 * {@code // readme:NAME} and {@code // readme:end} (the whole file without {@code #NAME}), and every
 * such part of an example is shown. The examples themselves run in {@link FrameworksTest} and
 * {@link InetdTest}.
 */
class ReadmeExamplesTest {
    private static final Pattern SNIPPET = Pattern.compile("<!-- snippet: ([^#\\s]+)(?:#(\\S+))? -->\n```java\n(.*?)```", Pattern.DOTALL);
    private static final Pattern MARKER = Pattern.compile("^\\s*// readme:(\\S+)$", Pattern.MULTILINE);

    @Test
    void everySnippetIsItsSourceAndEveryMarkedPartIsShown() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Matcher snippet = SNIPPET.matcher(readme);
        List<String> shown = new ArrayList<>();
        while (snippet.find()) {
            String path = snippet.group(1);
            String name = snippet.group(2);
            String source = Files.readString(Path.of(path));
            String expected = name == null ? source : part(source, name, path);
            assertEquals(expected, snippet.group(3), "README.md's snippet of " + path + (name == null ? "" : "#" + name));
            shown.add(path + (name == null ? "" : "#" + name));
        }
        assertFalse(shown.isEmpty(), "README.md shows no snippet");
        for (Path example : List.of(Path.of("src/test/java/example/JettyHelloServer.java"),
                Path.of("src/test/java/example/NettyEchoServer.java"))) {
            Matcher marker = MARKER.matcher(Files.readString(example));
            while (marker.find()) {
                if (!marker.group(1).equals("end")) {
                    assertTrue(shown.contains(example + "#" + marker.group(1)), "README.md does not show " + example + "#"
                            + marker.group(1) + "; it shows " + shown);
                }
            }
        }
    }

    /** The lines between the markers, less their common indentation. */
    private static String part(String source, String name, String path) {
        List<String> lines = source.lines().toList();
        int from = lines.indexOf(lines.stream().filter(line -> line.strip().equals("// readme:" + name)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " has no // readme:" + name)));
        List<String> part = new ArrayList<>();
        for (int i = from + 1; !lines.get(i).strip().equals("// readme:end"); i++) {
            part.add(lines.get(i));
        }
        int indent = part.stream().filter(line -> !line.isBlank()).mapToInt(line -> line.length() - line.stripLeading().length())
                .min().orElse(0);
        StringBuilder text = new StringBuilder();
        for (String line : part) {
            text.append(line.isBlank() ? "" : line.substring(indent)).append('\n');
        }
        return text.toString();
    }
}
