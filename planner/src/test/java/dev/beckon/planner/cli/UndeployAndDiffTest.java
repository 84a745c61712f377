package dev.beckon.planner.cli;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code beckon undeploy} and {@code beckon diff} against a real systemd user manager. */
@ExtendWith(SystemdSandboxExtension.class)
class UndeployAndDiffTest {
    @TempDir
    Path dir;

    private Path model;
    private String home;
    private int port;

    private void writeModel(SystemdUserManager systemd, String greeting, boolean withSecond) throws Exception {
        Path testServices = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        Files.writeString(model.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%1$s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%2$s", "%3$s"]
                class-data-archive = false
                ports = { http = %4$d }
                [services.hello.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                [services.second]
                type = "systemd-unit"
                exec = ["/bin/sleep", "infinity"]
                """.formatted(testServices, GreetingServer.class.getName(), greeting, port));
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\n" + (withSecond ? "second = [\"local\"]\n" : ""));
    }

    private static List<String> beckonUnits(SystemdUserManager systemd) throws Exception {
        try (Stream<Path> units = Files.list(systemd.unitDirectory())) {
            return units.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("beckon-")).sorted().toList();
        }
    }

    @Test
    void undeployRemovesEverythingAsAGenerationThatRollbackLeavesAndDiffComparesGenerations(SystemdUserManager systemd)
            throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        home = dir.resolve("home").toString();
        port = TestServices.freePort();

        Run nothingYet = beckon("undeploy", "--home", home);
        assertEquals(0, nothingYet.exitCode(), nothingYet.out() + nothingYet.err());
        assertEquals("Nothing to undeploy: profile default runs no instance.\n", nothingYet.out());

        writeModel(systemd, "hello v1", false);
        assertEquals(0, beckon("deploy", model.toString(), "--home", home, "-m", "first").exitCode());
        writeModel(systemd, "hello v2", true);
        assertEquals(0, beckon("deploy", model.toString(), "--home", home, "-m", "second").exitCode());
        assertEquals("hello v2", TestServices.text(TestServices.greeting(port)));

        Run diff = beckon("diff", "1", "2", "--home", home);
        assertEquals(0, diff.exitCode(), diff.out() + diff.err());
        assertTrue(diff.out().startsWith("From generation 1 to generation 2 of profile default:\n  + activate\n  ~ change\n"), diff.out());
        assertTrue(diff.out().contains("  # hello@local will be changed\n    (beckon-default-hello.service changed)\n  ~ hello  "), diff.out());
        assertTrue(diff.out().contains("  # second@local will be activated\n"), diff.out());
        assertTrue(diff.out().endsWith("Plan: 1 to activate, 1 to change, 0 to deactivate.\n"), diff.out());
        Run backwards = beckon("diff", "2", "1", "--home", home);
        assertTrue(backwards.out().contains("  # second@local will be deactivated\n"), backwards.out());
        assertTrue(backwards.out().endsWith("Plan: 0 to activate, 1 to change, 1 to deactivate.\n"), backwards.out());
        assertEquals("Generations 2 and 2 of profile default run the same instances.\n", beckon("diff", "2", "2", "--home", home).out());

        Run dryRun = beckon("undeploy", "--dry-run", "--home", home);
        assertEquals(0, dryRun.exitCode(), dryRun.out() + dryRun.err());
        assertTrue(dryRun.out().endsWith("Plan: 0 to activate, 0 to change, 2 to deactivate.\nDry run: nothing was changed.\n"), dryRun.out());
        assertFalse(beckonUnits(systemd).isEmpty(), "a dry run removes nothing");

        Run undeploy = beckon("undeploy", "--home", home);
        assertEquals(0, undeploy.exitCode(), undeploy.out() + undeploy.err());
        assertTrue(undeploy.out().contains("  # second@local will be deactivated\n"), undeploy.out());
        assertTrue(undeploy.out().contains("Undeployed: recorded generation 3 in "), undeploy.out());
        assertEquals(List.of(), beckonUnits(systemd), "no unit of the profile is left");
        Run generations = beckon("generations", "--home", home);
        assertTrue(generations.out().lines().toList().get(2).matches("\\*\\s+3 .*undeploy.*"), generations.out());
        Run status = beckon("status", "--home", home);
        assertEquals(0, status.exitCode(), status.out() + status.err());

        Run removed = beckon("diff", "2", "3", "--home", home);
        assertTrue(removed.out().endsWith("Plan: 0 to activate, 0 to change, 2 to deactivate.\n"), removed.out());
        assertEquals("Nothing to undeploy: profile default runs no instance.\n", beckon("undeploy", "--home", home).out());

        Run rollback = beckon("rollback", "--home", home);
        assertEquals(0, rollback.exitCode(), rollback.out() + rollback.err());
        assertEquals("hello v2", TestServices.text(TestServices.greeting(port)), "rolling back the undeployment brings it back");

        Run unknown = beckon("diff", "2", "9", "--home", home);
        assertEquals(1, unknown.exitCode());
        assertEquals("beckon: error: profile default keeps no generation 9; kept: 1, 2, 3 (see beckon generations)\n", unknown.err());
        assertEquals(0, beckon("undeploy", "--home", home, "-m", "done").exitCode());
        assertEquals(List.of(), beckonUnits(systemd));
    }
}
