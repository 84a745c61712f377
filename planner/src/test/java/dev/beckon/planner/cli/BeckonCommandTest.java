package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(SystemdSandboxExtension.class)
public class BeckonCommandTest {
    @TempDir
    Path dir;

    /** What one run of the command line printed and returned. */
    public record Run(int exitCode, String out, String err) {}

    /** Runs the command line in this JVM, as {@code bin/beckon ARGS} would: with the subcommands main gives it. */
    public static Run beckon(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = BeckonCommand.commandLine(args);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    private void writeModel(String services, String infrastructure, String distribution) throws IOException {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), infrastructure);
        Files.writeString(dir.resolve("distribution.toml"), distribution);
    }

    private static final String SERVICES = """
            [services.db]
            type = "systemd-unit"
            description = "The database"
            exec = ["/usr/bin/db", "--port", "{ports.sql}"]
            ports = { sql = 5432 }

            [services.app]
            type = "systemd-unit"
            exec = ["/usr/bin/app", "--db", "{deps.db.host}:{deps.db.ports.sql}", "--motto", "it's on demand"]
            environment = { MODE = "production" }
            depends-on = ["db"]
            [services.app.on-demand]
            listen = ["127.0.0.1:8080"]
            idle-timeout = "30s"
            """;
    private static final String INFRASTRUCTURE = """
            [targets.local]
            host = "localhost"
            containers = { systemd-unit = {} }
            [targets.spare]
            host = "localhost"
            hostname = "127.0.0.9"
            containers = { systemd-unit = {} }
            """;

    /** The names main picks a subcommand by are the ones each declares, and the whole list is all there is. */
    @Test
    void everySubcommandIsFoundByItsOwnName() {
        for (String name : BeckonCommand.SUBCOMMANDS) {
            assertEquals(name, new CommandLine(BeckonCommand.subcommand(name)).getCommandName());
            java.util.List<String> reachable = name.equals("help") ? BeckonCommand.SUBCOMMANDS : java.util.List.of(name);
            assertEquals(reachable, java.util.List.copyOf(BeckonCommand.commandLine(new String[] {name, "x"}).getSubcommands().keySet()), name);
        }
        assertEquals(BeckonCommand.SUBCOMMANDS, java.util.List.copyOf(BeckonCommand.commandLine().getSubcommands().keySet()));
        assertEquals(BeckonCommand.SUBCOMMANDS, java.util.List.copyOf(BeckonCommand.commandLine(new String[] {"plna"}).getSubcommands().keySet()));
        Run help = beckon("--help");
        assertEquals(0, help.exitCode(), help.err());
        for (String name : BeckonCommand.SUBCOMMANDS) {
            assertTrue(name.equals("complete-names") || help.out().contains("  " + name + " "), name + ": " + help.out());
        }
    }

    @Test
    void everySubcommandAnswersHelp() {
        for (String command : BeckonCommand.commandLine().getSubcommands().keySet()) {
            Run run = beckon(command, "--help");
            assertEquals(0, run.exitCode(), command + ": " + run.err());
            assertTrue(run.out().contains("Usage: beckon " + command), command + ": " + run.out());
        }
    }

    @Test
    void validateSaysValidInOneLine() throws IOException {
        writeModel(SERVICES, INFRASTRUCTURE, "db = [\"local\"]\napp = [\"local\"]\n");
        Run run = beckon("validate", dir.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(dir + ": valid: 2 services, 2 targets, 2 instances\n", run.out());
        assertEquals("", run.err());
    }

    @Test
    void validateReportsEveryErrorWithItsLocationAndExitsOne() throws IOException {
        writeModel(SERVICES.replace("depends-on = [\"db\"]", "depends-on = [\"dbb\"]"),
                INFRASTRUCTURE, "db = [\"local\"]\napp = [\"locl\"]\n");
        Run run = beckon("validate", dir.toString());
        assertEquals(1, run.exitCode());
        assertEquals("", run.out());
        assertEquals(String.join("\n",
                dir.resolve("distribution.toml") + ":2:8: error: unknown target locl (did you mean local?); targets are defined in infrastructure.toml",
                dir.resolve("services.toml") + ":9:33: error: {deps.db.host} refers to db, which is not in depends-on of service app (did you mean dbb?)",
                dir.resolve("services.toml") + ":9:33: error: {deps.db.ports.sql} refers to db, which is not in depends-on of service app (did you mean dbb?)",
                dir.resolve("services.toml") + ":11:15: error: service app depends on unknown service dbb (did you mean db?)",
                "4 errors", ""), run.err());
    }

    @Test
    void validateTakesEachFileByItself() throws IOException {
        writeModel(SERVICES, INFRASTRUCTURE, "db = [\"local\"]\napp = [\"local\"]\n");
        Path placement = dir.resolve("other-placement.toml");
        Files.writeString(placement, "db = [\"spare\"]\n");
        Run run = beckon("validate", "--services", dir.resolve("services.toml").toString(),
                "--infrastructure", dir.resolve("infrastructure.toml").toString(), "--distribution", placement.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().endsWith("valid: 2 services, 2 targets, 1 instance\n"), run.out());
    }

    @Test
    void planShowsWhatWouldRunWhere(SystemdUserManager systemd) throws IOException {
        // Planning asks the targets what runs, so they must be reachable.
        writeModel(SERVICES, INFRASTRUCTURE.replace("containers = { systemd-unit = {} }",
                "containers = { systemd-unit = { bus = \"" + systemd.busAddress() + "\" } }"), "db = [\"local\"]\napp = [\"local\"]\n");
        Run run = beckon("plan", dir.toString(), "--home", dir.resolve("home").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("""
                beckon will:
                  + activate

                target local
                  # db@local will be activated
                  + db  systemd-unit, always running
                      The database
                      exec: /usr/bin/db --port 5432
                      ports: sql=5432
                  # app@local will be activated
                  + app  systemd-unit, on demand at 127.0.0.1:8080, exits after 30s idle
                      exec: /usr/bin/app --db 127.0.0.1:5432 --motto 'it'\\''s on demand'
                      env:  MODE=production
                      after: db

                Plan: 2 to activate, 0 to change, 0 to deactivate.
                """, run.out());
    }

    @Test
    void planOfABrokenModelFailsWithTheSameErrorsAsValidate() throws IOException {
        writeModel(SERVICES, INFRASTRUCTURE, "nothing = [\"local\"]\n");
        Run plan = beckon("plan", dir.toString(), "--home", dir.resolve("home").toString());
        assertEquals(1, plan.exitCode());
        assertEquals(beckon("validate", dir.toString()).err(), plan.err());
    }

    @Test
    void aMissingModelDirectorySaysWhichFilesAreMissing() {
        Run run = beckon("validate", dir.resolve("nowhere").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains(dir.resolve("nowhere/services.toml") + ": error: no such file"), run.err());
    }

    @Test
    void aWrongCommandLineExitsTwoWithUsage() {
        Run run = beckon("valdate");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("Unmatched argument") || run.err().contains("Unknown"), run.err());
        assertFalse(run.err().contains("Exception"), run.err());
    }
}
