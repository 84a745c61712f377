package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** deploy, plan, generations and rollback through the command line, against a real systemd user manager. */
@ExtendWith(SystemdSandboxExtension.class)
class DeployCommandIT {
    @TempDir
    Path dir;

    private Path model;
    private String home;
    private int port;
    private SystemdUserManager systemd;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        model = Files.createDirectories(dir.resolve("model"));
        home = dir.resolve("home").toString();
        port = TestServices.freePort();
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\n");
        writeServices("hello v1", 0);
    }

    /** {@code busyPort}: a second listener on a port that is taken, so activating it fails; 0 for none. */
    private void writeServices(String greeting, int busyPort) throws Exception {
        Path testServices = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%s", "%s"]
                class-data-archive = false
                ports = { http = %d }
                [services.hello.on-demand]
                listen = ["127.0.0.1:{ports.http}"%s
                idle-timeout = "30s"
                """.formatted(testServices, GreetingServer.class.getName(), greeting, port,
                // The test server takes one socket with System.inheritedChannel(); the failing variant never runs it.
                busyPort == 0 ? "]\npass = \"stdin\"" : ", \"127.0.0.1:" + busyPort + "\"]"));
    }

    private String manager(String property) {
        return systemd.systemctl("show", "--property=" + property, "--value").stdout().strip();
    }

    private String unit(String name, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", name).stdout().strip();
    }

    private String greeting() throws Exception {
        return TestServices.text(TestServices.greeting(port));
    }

    @Test
    void deployPlanGenerationsAndRollbackWalkBack() throws Exception {
        Run first = beckon("deploy", model.toString(), "--home", home, "-m", "first");
        assertEquals(0, first.exitCode(), first.out() + first.err());
        assertTrue(first.out().contains("[local] + hello  activated"), first.out());
        assertTrue(first.out().contains("Deployed generation 1 in"), first.out());
        assertEquals("hello v1", greeting());

        Run noChange = beckon("plan", model.toString(), "--home", home, "--detailed-exitcode");
        assertEquals(0, noChange.exitCode(), noChange.out() + noChange.err());
        assertEquals("No changes. Every target runs what the model says.\n", noChange.out());
        String reloadedAt = manager("GeneratorsStartTimestampMonotonic");
        String socketSince = unit("beckon-default-hello.socket", "ActiveEnterTimestampMonotonic");
        Run noOp = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, noOp.exitCode());
        assertEquals("No changes. Every target runs what the model says.\n", noOp.out());
        assertEquals(reloadedAt, manager("GeneratorsStartTimestampMonotonic"), "a no-op deploy must not reload systemd");
        assertEquals(socketSince, unit("beckon-default-hello.socket", "ActiveEnterTimestampMonotonic"),
                "a no-op deploy must not restart anything");

        writeServices("hello v2", 0);
        Run changes = beckon("plan", model.toString(), "--home", home, "--detailed-exitcode");
        assertEquals(2, changes.exitCode(), changes.out() + changes.err());
        assertTrue(changes.out().contains("  # hello@local will be changed\n    (beckon-default-hello.service changed)\n"), changes.out());
        assertTrue(changes.out().endsWith("Plan: 0 to activate, 1 to change, 0 to deactivate.\n"), changes.out());
        Run json = beckon("plan", model.toString(), "--home", home, "--json");
        assertTrue(json.out().contains("\"action\" : \"change\""), json.out());
        assertEquals(0, beckon("deploy", model.toString(), "--home", home, "-m", "second").exitCode());
        assertEquals("hello v2", greeting());

        Run failed;
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            writeServices("hello v3", taken.getLocalPort());
            failed = beckon("deploy", model.toString(), "--home", home);
        }
        assertEquals(1, failed.exitCode(), failed.out() + failed.err());
        assertTrue(failed.out().contains("Deployment failed and was undone"), failed.out());
        assertEquals("hello v2", greeting(), "a failed deployment leaves what ran before");

        Run status = beckon("status", "--home", home);
        assertEquals(0, status.exitCode(), status.out() + status.err());
        assertTrue(status.out().contains("\ntarget local\n  hello                running    beckon-default-hello.service is active\n"),
                status.out());
        assertTrue(status.out().endsWith("1 instance: 1 as deployed.\n"), status.out());
        Path unit = systemd.unitDirectory().resolve("beckon-default-hello.service");
        String deployed = Files.readString(unit);
        Files.writeString(unit, deployed + "# edited by hand\n");
        Run drifted = beckon("status", "--home", home, "--json");
        assertEquals(1, drifted.exitCode(), drifted.out() + drifted.err());
        assertTrue(drifted.out().contains("\"state\" : \"drifted\""), drifted.out());
        assertTrue(drifted.out().contains("beckon-default-hello.service differs from what beckon wrote"), drifted.out());
        Files.writeString(unit, deployed);

        Run generations = beckon("generations", "--home", home);
        assertEquals(2, generations.out().lines().count(), generations.out());
        assertTrue(generations.out().lines().toList().get(1).startsWith("*   2  "), generations.out());
        assertTrue(generations.out().contains("second"), generations.out());

        Run rollback = beckon("rollback", "--home", home);
        assertEquals(0, rollback.exitCode(), rollback.out() + rollback.err());
        assertTrue(rollback.out().contains("Rolled back to generation 1 in"), rollback.out());
        assertEquals("hello v1", greeting());
        Run again = beckon("rollback", "--home", home);
        assertEquals(1, again.exitCode(), "rollback walks back, it does not toggle: " + again.out());
        assertTrue(again.err().contains("generation 1 is the oldest kept; nothing to roll back to"), again.err());
        assertEquals("hello v1", greeting());

        writeServices("hello v4", 0);
        assertEquals(0, beckon("deploy", model.toString(), "--home", home).exitCode());
        assertTrue(beckon("generations", "--home", home).out().contains("*   3  "), "a deploy after a rollback is a new generation");
        assertEquals(0, beckon("rollback", "--to", "2", "--home", home).exitCode());
        assertEquals("hello v2", greeting());

        Files.writeString(model.resolve("distribution.toml"), "");
        assertEquals(0, beckon("deploy", model.toString(), "--home", home).exitCode());
        assertTrue(beckon("plan", model.toString(), "--home", home).out().startsWith("No changes."));
    }
}
