package dev.beckon.planner.cli;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.beckon.planner.cli.BeckonCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model file that is no file, or one without end: one error line and the count, exit 1, never a stack trace. */
class ModelFileLimitsTest {
    @TempDir
    Path dir;

    @Test
    void validateOfDevZeroIsOneErrorLine() throws Exception {
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.local]\nhost = \"localhost\"\ncontainers = { systemd-unit = {} }\n");
        Files.writeString(dir.resolve("distribution.toml"), "");
        Run run = beckon("validate", dir.toString(), "--services", "/dev/zero");
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertEquals("", run.out());
        assertEquals("/dev/zero: error: not a regular file but a FIFO, socket or device; give the path of a TOML file\n1 error\n",
                run.err());
    }
}
