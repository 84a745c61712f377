package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disnix's lock for dependants, through bin/beckon against a real systemd user manager: when only a dependency
 * (backend, a systemd unit) changes, the deployment asks the lock of what depends on it (proxy, an external module's
 * instance, as Disnix's TCP proxy drains there), waits while it answers "not now", and fails and undoes when it
 * never allows within its lock-timeout.
 */
@ExtendWith(SystemdSandboxExtension.class)
class DependantLockIT {
    @TempDir
    Path dir;

    private Path model;
    private Path control;
    private int port;

    /**
     * The proxy module: its lock writes each call to CONTROL/calls; it answers not now (75) while CONTROL/refuse is
     * there, and as many times as CONTROL/vetoes says; its logs verb prints the calls.
     */
    private void setUp(SystemdUserManager systemd) throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        control = Files.createDirectories(dir.resolve("control"));
        port = TestServices.freePort();
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")) + """
                [targets.local.containers.proxy-module]
                control = "%s"
                lock-timeout = "5s"
                """.formatted(control));
        Files.writeString(model.resolve("distribution.toml"), "backend = [\"local\"]\nproxy = [\"local\"]\n");
        Path module = Files.createDirectories(dir.resolve("state/modules")).resolve("proxy-module");
        Files.writeString(module, """
                #!/bin/sh
                c="$BECKON_CONTAINER_CONTROL"
                case "$1" in
                lock)
                    echo "lock $BECKON_SERVICE" >> "$c/calls"
                    if [ -e "$c/refuse" ]; then echo "proxy: still draining" >&2; exit 75; fi
                    n=$(cat "$c/vetoes" 2>/dev/null || echo 0)
                    if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$c/vetoes"; echo "proxy: draining, $n to go" >&2; exit 75; fi ;;
                unlock) echo "unlock $BECKON_SERVICE" >> "$c/calls" ;;
                query) echo presence=installed; echo activity=running ;;
                logs) tail -n "$BECKON_LOG_LINES" "$c/calls" ;;
                esac
                exit 0
                """);
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private void writeServices(String greeting) throws Exception {
        List<String> exec = TestServices.javaCommand(GreetingServer.class, greeting);
        Files.writeString(model.resolve("services.toml"), """
                [services.backend]
                type = "systemd-unit"
                exec = [%s]
                ports = { http = %d }
                [services.backend.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                idle-timeout = "30s"

                [services.proxy]
                type = "proxy-module"
                exec = ["/bin/true"]
                depends-on = ["backend"]
                """.formatted(String.join(", ", exec.stream().map(w -> "\"" + w + "\"").toList()), port));
    }

    private List<String> calls() throws Exception {
        Path calls = control.resolve("calls");
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private String greeting() throws Exception {
        return TestServices.text(TestServices.greeting(port)).replaceAll(" pid=\\d+$", "");
    }

    @Test
    void theLockOfADependantIsAskedAndHonouredWhenOnlyItsDependencyChanges(SystemdUserManager systemd) throws Exception {
        setUp(systemd);
        String home = dir.resolve("home").toString();
        writeServices("backend v1");
        Run first = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, first.exitCode(), first.out() + first.err());
        assertEquals(List.of(), calls(), "nothing ran before, so nothing was asked");

        // Only backend changes; proxy, which depends on it, says not now twice, then lets it.
        Files.writeString(control.resolve("vetoes"), "2\n");
        writeServices("backend v2");
        Run second = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, second.exitCode(), second.out() + second.err());
        assertTrue(second.output().contains("proxy: draining, 2 to go") && second.output().contains("proxy: draining, 1 to go"),
                second.output());
        assertEquals(List.of("lock proxy", "lock proxy", "lock proxy", "unlock proxy"), calls());
        assertEquals("backend v2", greeting());

        // proxy never lets it within its lock-timeout: it is asked again and again, then the deployment fails and
        // changes nothing (a lock that was refused is not unlocked).
        Files.writeString(control.resolve("refuse"), "");
        writeServices("backend v3");
        Run refused = beckon("deploy", model.toString(), "--home", home);
        assertEquals(1, refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.output().contains("did not let it change within its lock-timeout of 5s"), refused.output());
        assertTrue(refused.output().contains("Deployment failed and was undone"), refused.output());
        List<String> calls = calls();
        List<String> asked = calls.subList(4, calls.size());
        assertTrue(asked.size() >= 2 && asked.stream().allMatch("lock proxy"::equals), calls.toString());
        assertEquals("backend v2", greeting(), "the backend was never touched");
        Run plan = beckon("plan", model.toString(), "--home", home, "--detailed-exitcode");
        assertEquals(2, plan.exitCode(), "backend v3 is still to come: " + plan.out() + plan.err());

        // The external module's logs verb, through beckon logs.
        Run logs = beckon("logs", "proxy", "-n", "2", "--home", home);
        assertEquals(0, logs.exitCode(), logs.err());
        assertEquals(List.of("[local] lock proxy", "[local] lock proxy"), logs.out().lines().toList());
    }
}
