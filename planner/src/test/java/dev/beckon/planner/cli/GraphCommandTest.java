package dev.beckon.planner.cli;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.planner.testing.ExampleSystems;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GraphCommandTest {
    @TempDir
    Path dir;

    private static void assumeGraphvizInstalled() {
        assumeTrue(Graphviz.findDot(System.getenv("PATH")).isPresent(),
                "Graphviz's dot is not installed (bin/install-test-dependencies installs it)");
    }

    @Test
    void printsTheExampleAsDot() throws IOException {
        Path example = ExampleSystems.copy("tcp-proxy", dir);
        Run run = beckon("graph", example.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(ExampleSystems.expectedGraph("tcp-proxy"), run.out());
        assertEquals("", run.err());
    }

    @Test
    void writesTheGraphToTheFileGivenWithO() throws IOException {
        Path example = ExampleSystems.copy("hello-world", dir);
        Path file = dir.resolve("drawings/hello.dot");
        Run run = beckon("graph", example.toString(), "-o", file.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.out());
        assertEquals(ExampleSystems.expectedGraph("hello-world"), Files.readString(file));
    }

    @Test
    void drawsSvgWithGraphviz() throws IOException {
        assumeGraphvizInstalled();
        Path example = ExampleSystems.copy("tcp-proxy", dir);
        Run run = beckon("graph", example.toString(), "--format", "svg");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("<?xml") && run.out().contains("<svg"), run.out());
        assertTrue(run.out().contains(">hello</text>") && run.out().contains(">proxy</text>"), run.out());
        assertTrue(run.out().strip().endsWith("</svg>"), run.out());
    }

    @Test
    void writesSvgToAFile() throws IOException {
        assumeGraphvizInstalled();
        Path example = ExampleSystems.copy("hello-world", dir);
        Path file = dir.resolve("hello.svg");
        Run run = beckon("graph", example.toString(), "--format", "svg", "-o", file.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.out());
        String svg = Files.readString(file);
        assertTrue(svg.contains("<svg") && svg.contains(">hello</text>"), svg);
    }

    @Test
    void svgWithoutGraphvizSaysHowToGetItInOneLine() throws IOException {
        Path example = ExampleSystems.copy("hello-world", dir);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = BeckonCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        GraphCommand graph = commandLine.getSubcommands().get("graph").getCommand();
        graph.searchPath = dir.resolve("no-graphviz-here").toString();
        int exitCode = commandLine.execute("graph", example.toString(), "--format", "svg", "-o", dir.resolve("x.svg").toString());
        assertEquals(1, exitCode);
        assertEquals("", out.toString());
        assertEquals("beckon: error: --format svg needs Graphviz's dot, which is not on PATH; install Graphviz "
                + "(Debian: apt-get install graphviz), or leave out --format for DOT text\n", err.toString());
        assertTrue(Files.notExists(dir.resolve("x.svg")));
    }

    @Test
    void aBrokenModelFailsWithTheSameErrorsAsValidate() throws IOException {
        Files.writeString(dir.resolve("services.toml"), """
                [services.app]
                type = "systemd-unit"
                exec = ["/usr/bin/app"]
                depends-on = ["db"]
                """);
        Files.writeString(dir.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                containers = { systemd-unit = {} }
                """);
        Files.writeString(dir.resolve("distribution.toml"), "app = [\"local\"]\n");
        Run run = beckon("graph", dir.toString());
        assertEquals(1, run.exitCode());
        assertEquals("", run.out());
        assertEquals(dir.resolve("services.toml") + ":4:15: error: service app depends on unknown service db\n1 error\n", run.err());
        assertEquals(beckon("validate", dir.toString()).err(), run.err());
    }

    @Test
    void anUnknownFormatIsAUsageError() throws IOException {
        Run run = beckon("graph", ExampleSystems.copy("hello-world", dir).toString(), "--format", "png");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("expected one of [dot, svg]"), run.err());
    }
}
