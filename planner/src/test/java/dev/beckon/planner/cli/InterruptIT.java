package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C and SIGTERM sent to the command users run ({@code bin/beckon}, the packaged jar) while a step of
 * a deployment is held open by an external module: the first signal lets that step finish, undoes, exits 1;
 * a second exits at once with 3 and leaves the journal, which the next command recovers from.
 */
@ExtendWith(SystemdSandboxExtension.class)
class InterruptIT {
    private static final Path BECKON = Path.of("").toAbsolutePath().getParent().resolve("bin/beckon");

    @TempDir
    Path dir;

    private Path model;
    private Path home;
    private Path gate;
    private int auxPort;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws IOException {
        model = Files.createDirectories(dir.resolve("model"));
        home = dir.resolve("home");
        gate = Files.createDirectories(dir.resolve("gate"));
        auxPort = TestServices.freePort();
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                bus = "%s"
                journal-directory = "%s"
                [targets.local.containers.gated]
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
        // An external module that holds an operation open while GATE/hold-OPERATION-DESCRIPTION exists, until GATE/open does.
        Path module = Files.createDirectories(dir.resolve("state/modules")).resolve("gated");
        Files.writeString(module, """
                #!/bin/sh
                case "$1" in
                activate|deactivate)
                    if [ -e "%1$s/hold-$1-$BECKON_DESCRIPTION" ]; then
                        : > '%1$s/held'
                        for i in $(seq 1 1200); do [ -e '%1$s/open' ] && exit 0; sleep 0.1; done
                        echo "the test never opened the gate" >&2; exit 1
                    fi ;;
                query) echo presence=installed; echo activity=running ;;
                esac
                exit 0
                """.formatted(gate));
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** aux (systemd) and db (gated) of a version, and, when asked, extra (gated). */
    private void writeModel(String version, boolean withExtra) throws IOException {
        List<String> exec = TestServices.javaCommand(GreetingServer.class, "aux " + version);
        String services = """
                [services.aux]
                type = "systemd-unit"
                exec = [%s]
                ports = { http = %d }
                [services.aux.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                idle-timeout = "30s"

                [services.db]
                type = "gated"
                description = "db %s"
                exec = ["/bin/true"]
                depends-on = ["aux"]
                """.formatted(String.join(", ", exec.stream().map(w -> "\"" + w + "\"").toList()), auxPort, version);
        String distribution = "aux = [\"local\"]\ndb = [\"local\"]\n";
        if (withExtra) {
            services += """
                    [services.extra]
                    type = "gated"
                    description = "extra"
                    exec = ["/bin/true"]
                    """;
            distribution += "extra = [\"local\"]\n";
        }
        Files.writeString(model.resolve("services.toml"), services);
        Files.writeString(model.resolve("distribution.toml"), distribution);
    }

    private Process start(String... arguments) throws IOException {
        // A process started in the background by a non-interactive shell (as CI may start the build) has SIGINT
        // ignored, and an ignored signal stays ignored through exec: beckon, rightly, would then never see the
        // test's SIGINT. perl (essential on Debian) puts its default back before it execs beckon.
        List<String> command = new java.util.ArrayList<>(List.of("perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die $!",
                BECKON.toString()));
        command.addAll(List.of(arguments));
        command.addAll(List.of("--home", home.toString()));
        return new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile())
                .start();
    }

    private String output() throws IOException {
        return Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8) + Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
    }

    private int run(String... arguments) throws Exception {
        Process process = start(arguments);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "beckon did not finish: " + output());
        return process.exitValue();
    }

    private void awaitHeld(Process deployment) throws Exception {
        for (int i = 0; i < 2400 && !Files.exists(gate.resolve("held")) && deployment.isAlive(); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(gate.resolve("held")), "the held step never began: " + output());
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
    }

    private void assertNoJournal() {
        assertFalse(Files.exists(home.resolve("profiles/default/intent.json")), "the journal is left");
        assertFalse(Files.exists(dir.resolve("state/lock")), "the target's lock is left");
    }

    @Test
    void aFirstSigintDuringAnActivationLetsItFinishThenUndoesAndExits1() throws Exception {
        writeModel("v1", false);
        assertEquals(0, run("deploy", model.toString()), output());
        writeModel("v2", false);
        Files.writeString(gate.resolve("hold-activate-db v2"), "");
        Process deployment = start("deploy", model.toString());
        awaitHeld(deployment);
        assertEquals("aux v2", TestServices.text(TestServices.greeting(auxPort)), "aux, of the level before db, is changed");
        signal(deployment, "INT");
        Files.writeString(gate.resolve("open"), "");
        assertTrue(deployment.waitFor(120, TimeUnit.SECONDS), output());
        assertEquals(1, deployment.exitValue(), output());
        assertTrue(output().contains("stopped by SIGINT"), output());
        assertTrue(output().contains("Deployment failed and was undone"), output());
        assertEquals("aux v1", TestServices.text(TestServices.greeting(auxPort)), "the undo brings back what ran before");
        assertNoJournal();
        assertEquals(0, run("plan", model.toString()));
        assertTrue(output().contains("2 to change"), "the deployment of v2 was undone, so v2 is still to do: " + output());
    }

    @Test
    void aSigtermDuringADeactivationLetsItFinishThenUndoesAndExits1() throws Exception {
        writeModel("v1", true);
        assertEquals(0, run("deploy", model.toString()), output());
        writeModel("v1", false);
        Files.writeString(gate.resolve("hold-deactivate-extra"), "");
        Process deployment = start("deploy", model.toString());
        awaitHeld(deployment);
        signal(deployment, "TERM");
        Files.writeString(gate.resolve("open"), "");
        assertTrue(deployment.waitFor(120, TimeUnit.SECONDS), output());
        assertEquals(1, deployment.exitValue(), output());
        assertTrue(output().contains("stopped by SIGTERM"), output());
        assertNoJournal();
        writeModel("v1", true);
        assertEquals(0, run("plan", model.toString()));
        assertTrue(output().contains("No changes."), "extra was put back: " + output());
    }

    @Test
    void aSecondSigintExitsAtOnceWithThreeAndTheNextCommandRecovers() throws Exception {
        writeModel("v1", false);
        assertEquals(0, run("deploy", model.toString()), output());
        writeModel("v2", false);
        Files.writeString(gate.resolve("hold-activate-db v2"), "");
        Process deployment = start("deploy", model.toString());
        awaitHeld(deployment);
        signal(deployment, "INT");
        signal(deployment, "INT");
        try {
            assertTrue(deployment.waitFor(60, TimeUnit.SECONDS), "a second SIGINT did not make beckon exit while the step was held: "
                    + output());
            assertEquals(3, deployment.exitValue(), output());
            assertTrue(output().contains("exiting at once"), output());
            assertTrue(Files.exists(home.resolve("profiles/default/intent.json")), "the journal is gone: " + output());
        } finally {
            Files.writeString(gate.resolve("open"), "");
        }
        assertEquals(0, run("status"), output());
        assertTrue(output().contains("Recovered"), output());
        assertEquals("aux v1", TestServices.text(TestServices.greeting(auxPort)));
        assertNoJournal();
    }
}
