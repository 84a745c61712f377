package dev.beckon.planner.testing;

import dev.beckon.models.ModelFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The models of {@code example-systems/}, and the graphs expected of them, for tests. */
public final class ExampleSystems {
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package = \"([^\"]+)\"");

    private ExampleSystems() {}

    /**
     * An example system's model files, copied under {@code dir} beside empty stand-ins for its
     * packages: the planner is built before the examples, so their packages need not exist yet.
     *
     * @return the directory holding the copied model
     */
    public static Path copy(String name, Path dir) throws IOException {
        // Surefire runs tests in the module's directory.
        Path example = Path.of("..", "example-systems", name);
        Path copy = dir.resolve("example-systems").resolve(name);
        Files.createDirectories(copy);
        for (String file : List.of(ModelFiles.SERVICES, ModelFiles.INFRASTRUCTURE, ModelFiles.DISTRIBUTION)) {
            Files.copy(example.resolve(file), copy.resolve(file));
        }
        Matcher packages = PACKAGE.matcher(Files.readString(copy.resolve(ModelFiles.SERVICES)));
        while (packages.find()) {
            Files.createDirectories(copy.resolve(packages.group(1)));
        }
        return copy;
    }

    /** The DOT text an example's graph must be, from {@code src/test/resources/graph/NAME.dot}. */
    public static String expectedGraph(String name) throws IOException {
        try (InputStream in = ExampleSystems.class.getResourceAsStream("/graph/" + name + ".dot")) {
            if (in == null) {
                throw new IOException("no golden file graph/" + name + ".dot among the test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
