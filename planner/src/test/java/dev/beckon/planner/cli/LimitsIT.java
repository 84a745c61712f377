package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code [services.X.limits]} through {@code bin/beckon} into the sandbox's systemd: each limit read back from the
 * running units, and enforced: a memory hog is killed at its limit, a shell forking 200 sleeps stops at its task
 * limit, a third connection from one client is refused; status shows memory and tasks in use against the limits.
 */
@ExtendWith(SystemdSandboxExtension.class)
class LimitsIT {
    /** Long enough for anything that must happen on a loaded machine; reaching it fails the test. */
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void limitsAreWrittenIntoTheUnitsAndEnforced(SystemdUserManager systemd) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Path marks = Files.createDirectories(dir.resolve("marks"));
        String home = dir.resolve("home").toString();
        int hogPort = TestServices.freePort();
        int forkerPort = TestServices.freePort();
        int holdPort = TestServices.freePort();
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        Files.writeString(model.resolve("distribution.toml"), "hog = [\"local\"]\nforker = [\"local\"]\nhold = [\"local\"]\nidle = [\"local\"]\n");
        writeServices(model, marks, hogPort, forkerPort, holdPort, 8);

        Run deploy = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, deploy.exitCode(), deploy.output());

        String hog = runOnce(systemd, hogPort, "beckon-default-hog@*.service");
        assertEquals(List.of("MemoryMax=67108864", "CPUQuotaPerSecUSec=500ms", "LimitNOFILE=256"),
                show(systemd, hog, "MemoryMax", "CPUQuotaPerSecUSec", "LimitNOFILE"));
        String hogResult = show(systemd, hog, "Result").get(0);
        assertTrue(Set.of("Result=signal", "Result=oom-kill").contains(hogResult), hogResult);
        assertEquals("256", Files.readString(marks.resolve("hog-files")).strip(), "the service runs with its open-files limit");
        assertFalse(Files.exists(marks.resolve("hog-survived")), "the hog must be killed before it holds 300 MB");

        String forker = runOnce(systemd, forkerPort, "beckon-default-forker@*.service");
        assertEquals(List.of("TasksMax=20"), show(systemd, forker, "TasksMax"));
        int forked = Integer.parseInt(Files.readString(marks.resolve("forked")).strip());
        assertTrue(forked >= 1 && forked < 20, "TasksMax=20 counts the shell and its sleeps, so fewer than 20 sleeps start: " + forked);
        assertFalse(Files.exists(marks.resolve("forked-all")), "the fork loop must not reach 200");

        assertEquals(List.of("MaxConnections=5", "MaxConnectionsPerSource=2"),
                show(systemd, "beckon-default-hold.socket", "MaxConnections", "MaxConnectionsPerSource"));
        try (Socket first = connect(holdPort); Socket second = connect(holdPort)) {
            awaitInstances(systemd, "beckon-default-hold@*.service", 2);
            try (Socket third = connect(holdPort)) {
                third.setSoTimeout((int) PATIENCE.toMillis());
                InputStream in = third.getInputStream();
                assertEquals(-1, in.read(), "systemd closes a connection past MaxConnectionsPerSource= at once; the served ones never end");
            }
        }

        Run status = beckon("status", "--home", home);
        assertEquals(0, status.exitCode(), status.output());
        assertTrue(Pattern.compile("idle +running +beckon-default-idle\\.service is active; memory [0-9.]+(B|KiB|MiB) of 128MiB, tasks 1 of 8\n")
                .matcher(status.out()).find(), status.out());

        writeServices(model, marks, hogPort, forkerPort, holdPort, 9);
        Run plan = beckon("plan", model.toString(), "--home", home);
        assertTrue(plan.out().contains("  # idle@local will be changed\n    (beckon-default-idle.service changed)\n    (limits changed)\n"),
                plan.output());
    }

    private static void writeServices(Path model, Path marks, int hogPort, int forkerPort, int holdPort, int idleTasks) throws Exception {
        Files.writeString(model.resolve("services.toml"), """
                [services.hog]
                type = "systemd-unit"
                exec = ["/bin/sh", "-c", 'ulimit -n > %1$s/hog-files; x=$(head -c 300000000 /dev/zero | tr -c a a); echo survived > %1$s/hog-survived']
                on-demand = { listen = ["127.0.0.1:%2$d"], accept = true, pass = "stdin" }
                limits = { memory = "64MiB", cpu = "50%%", open-files = 256 }

                [services.forker]
                type = "systemd-unit"
                exec = ["/bin/sh", "-c", 'n=0; while [ $n -lt 200 ]; do sleep 300 & n=$((n+1)); echo $n > %1$s/forked; done; echo all > %1$s/forked-all']
                on-demand = { listen = ["127.0.0.1:%3$d"], accept = true, pass = "stdin" }
                limits = { tasks = 20 }

                [services.hold]
                type = "systemd-unit"
                exec = ["/bin/sleep", "infinity"]
                on-demand = { listen = ["127.0.0.1:%4$d"], accept = true, pass = "stdin" }
                limits = { connections = 5, connections-per-source = 2 }

                [services.idle]
                type = "systemd-unit"
                exec = ["/bin/sleep", "infinity"]
                limits = { memory = "128MiB", tasks = %5$d }
                """.formatted(marks, hogPort, forkerPort, holdPort, idleTasks));
    }

    private static Socket connect(int port) throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) PATIENCE.toMillis());
        return socket;
    }

    private static List<String> show(SystemdUserManager systemd, String unit, String... properties) {
        List<String> out = new java.util.ArrayList<>();
        for (String property : properties) {
            out.add(property + "=" + systemd.systemctl("show", "--property=" + property, "--value", unit).stdout().strip());
        }
        return out;
    }

    /**
     * Connects once, so that the socket starts one instance for the connection, reads until that instance has closed
     * it, and returns the instance's unit once it has stopped: a failed one stays loaded, with its settings and result.
     */
    private static String runOnce(SystemdUserManager systemd, int port, String pattern) throws Exception {
        try (Socket client = connect(port)) {
            client.setSoTimeout((int) PATIENCE.toMillis());
            assertEquals(-1, client.getInputStream().read(), "the service writes nothing to its client");
        }
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        String listed = "";
        while (System.nanoTime() < deadline) {
            listed = systemd.systemctl("list-units", "--all", "--plain", "--no-legend", pattern).stdout();
            List<String> stopped = listed.lines().map(l -> l.strip().split("\\s+")).filter(f -> f.length > 3 && f[2].equals("failed"))
                    .map(f -> f[0]).toList();
            if (!stopped.isEmpty()) {
                return stopped.get(0);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no instance of " + pattern + " failed within " + PATIENCE + ": " + listed);
    }

    private static void awaitInstances(SystemdUserManager systemd, String pattern, int count) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        String listed = "";
        while (System.nanoTime() < deadline) {
            listed = systemd.systemctl("list-units", "--state=active", "--plain", "--no-legend", pattern).stdout();
            if (listed.lines().filter(l -> !l.isBlank()).count() >= count) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("fewer than " + count + " " + pattern + " run: " + listed);
    }
}
