package dev.beckon.planner.cli;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.planner.generations.Generations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken records, profiles and targets: one paragraph that names the file or target and what to do, exit 1, nothing changed. */
class BadInputTest {
    @TempDir
    Path dir;

    private String tree(Path root) throws Exception {
        if (!Files.exists(root)) {
            return "(none)";
        }
        StringBuilder listing = new StringBuilder();
        try (Stream<Path> files = Files.walk(root)) {
            // The locks' own bookkeeping (the guard files, the generations lock's note) is not a change.
            for (Path file : files.filter(f -> !f.toString().endsWith(".lock") && !f.toString().endsWith(".guard")).sorted().toList()) {
                listing.append(root.relativize(file)).append(Files.isRegularFile(file) ? " " + Files.size(file) : "").append('\n');
            }
        }
        return listing.toString();
    }

    private static void assertOneParagraph(Run run) {
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().startsWith("beckon: error: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void logsOfAServiceNotDeployedOrWithALineCountOutOfRangeIsOneLine() throws Exception {
        String home = dir.resolve("home").toString();
        Run unknown = beckon("logs", "nosuch", "--home", home);
        assertOneParagraph(unknown);
        assertEquals("beckon: error: service nosuch is not deployed in profile default (it runs nothing)\n", unknown.err());
        for (String count : new String[] {"0", "-3", "100001"}) {
            Run run = beckon("logs", "nosuch", "-n", count, "--home", home);
            assertOneParagraph(run);
            assertTrue(run.err().contains("-n " + count + " is out of range: give 1 to 100000 lines"), run.err());
        }
    }

    @Test
    void aDirectoryThatIsNotAProfileRepositoryIsLeftAlone() throws Exception {
        Path profile = Files.createDirectories(dir.resolve("home/profiles/default"));
        Files.writeString(profile.resolve("notes.txt"), "mine");
        String before = tree(dir);
        for (String command : new String[] {"status", "generations", "rollback"}) {
            Run run = beckon(command, "--home", dir.resolve("home").toString());
            assertOneParagraph(run);
            assertTrue(run.err().contains(profile + " is not the repository of beckon profile 'default'")
                    && run.err().contains("point beckon at an empty or missing directory"), run.err());
        }
        assertEquals(before, tree(dir));
    }

    @Test
    void aDamagedGenerationRecordIsNamedWithWhatToDo() throws Exception {
        try (Generations generations = Generations.open(dir.resolve("home/profiles/default"), "default")) {
            generations.record("{\"formatVersion\": 1, \"profile\": ".getBytes(StandardCharsets.UTF_8), Map.of(), "alice", "torn");
        }
        String before = tree(dir);
        for (String command : new String[] {"status", "rollback"}) {
            Run run = beckon(command, "--home", dir.resolve("home").toString());
            assertOneParagraph(run);
        }
        Run status = beckon("status", "--home", dir.resolve("home").toString());
        assertTrue(status.err().contains("generation 1 of profile default is not a readable beckon manifest"), status.err());
        assertTrue(status.err().contains("`beckon rollback --to N` to a readable generation, or a deployment of the model"), status.err());
        assertEquals(before, tree(dir));
    }

    @Test
    void anUnreachableTargetFailsThePlanBeforeAnythingChanges() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Path state = dir.resolve("state");
        Files.writeString(model.resolve("services.toml"), """
                [services.sleeper]
                type = "systemd-unit"
                exec = ["/bin/sleep", "infinity"]
                """);
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.web]
                host = "localhost"
                state-dir = "%s"
                [targets.web.containers.systemd-unit]
                bus = "unix:path=%s"
                """.formatted(state, dir.resolve("no-manager-here/bus")));
        Files.writeString(model.resolve("distribution.toml"), "sleeper = [\"web\"]\n");
        for (String command : new String[] {"plan", "deploy"}) {
            Run run = beckon(command, model.toString(), "--home", dir.resolve("home").toString());
            assertOneParagraph(run);
            assertTrue(run.err().startsWith("beckon: error: target web cannot be asked what runs (systemd-unit, for sleeper@web): "),
                    run.err());
            assertTrue(run.err().contains(dir.resolve("no-manager-here/bus").toString()) && run.err().endsWith("Nothing was changed.\n"),
                    run.err());
        }
        assertFalse(Files.exists(state), "nothing may be written on the target");
        assertFalse(Files.exists(dir.resolve("home/profiles/default/intent.json")));
        assertEquals("Profile default has no deployments yet.\n", beckon("generations", "--home", dir.resolve("home").toString()).out());
    }
}
