package dev.beckon.planner.cli;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code beckon shell} on a local target: the command runs where and as the deployed service runs. */
@ExtendWith(SystemdSandboxExtension.class)
class ShellCommandTest {
    @TempDir
    Path dir;

    @Test
    void theCommandGetsTheServicesEnvironmentWorkingDirectoryAndPackageAndItsExitStatusIsBeckons(SystemdUserManager systemd)
            throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        String home = dir.resolve("home").toString();
        Path testServices = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        Files.writeString(model.resolve("services.toml"), """
                [services.worker]
                type = "systemd-unit"
                package = "%s"
                exec = ["/bin/sleep", "infinity"]
                environment = { MODE = "it's production", DB = "127.0.0.1:5432" }
                """.formatted(testServices));
        Files.writeString(model.resolve("distribution.toml"), "worker = [\"local\"]\n");

        Run missing = beckon("shell", "worker", "--home", home);
        assertEquals(1, missing.exitCode());
        assertEquals("beckon: error: service worker is not deployed in profile default (it runs nothing)\n", missing.err());
        Run deployed = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, deployed.exitCode(), deployed.out() + deployed.err());

        Path seen = dir.resolve("seen");
        Run shell = beckon("shell", "worker", "--home", home, "--", "sh", "-c",
                "{ pwd; echo \"$MODE|$DB|$BECKON_SERVICE\"; test -e \"$BECKON_PACKAGE\" && echo package-there; } > " + seen + "; exit 7");
        assertEquals(7, shell.exitCode(), "the command's exit status: " + shell.err());
        List<String> lines = Files.readAllLines(seen);
        assertEquals(System.getProperty("user.home"), lines.get(0), "a user unit runs in the user's home");
        assertEquals("it's production|127.0.0.1:5432|worker@local", lines.get(1), "the service's environment");
        assertEquals("package-there", lines.get(2), "the package, as the target's store holds it");

        Run unknown = beckon("shell", "nothing", "--home", home);
        assertEquals(1, unknown.exitCode());
        assertEquals("beckon: error: service nothing is not deployed in profile default (deployed: worker)\n", unknown.err());
        Run elsewhere = beckon("shell", "worker", "--target", "far", "--home", home);
        assertEquals("beckon: error: service worker does not run on target far; it runs on local\n", elsewhere.err());
        assertEquals(0, beckon("undeploy", "--home", home).exitCode());
    }
}
