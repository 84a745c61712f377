package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code beckon logs} and a failed instance's lines in {@code beckon status}, through bin/beckon against a real systemd
 * user manager and its journal.
 */
@ExtendWith(SystemdSandboxExtension.class)
class LogsCommandIT {
    /** How long a line may take to travel from the service through journald to beckon on a loaded machine. */
    private static final long PATIENCE_SECONDS = 60;

    @TempDir
    Path dir;

    private int hungPort;

    /**
     * talker says a line when it starts, then one for each file {@code say} that appears (and removes it); when a
     * file {@code die} is there it says why and exits 3, at once, however often systemd restarts it.
     */
    private Path model(SystemdUserManager systemd, Path talk) throws Exception {
        hungPort = dev.beckon.activation.testing.TestServices.freePort();
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                bus = "%s"
                journal-directory = "%s"
                stuck-after = "1s"
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
        Files.writeString(model.resolve("distribution.toml"), "talker = [\"local\"]\nhung = [\"local\"]\n");
        String script = """
                cd "$1" || exit 1
                if [ -e die ]; then echo "talker: giving up, as die says"; exit 3; fi
                echo "talker started"
                while :; do
                  if [ -e say ]; then echo "talker: $(cat say)"; rm -f say; fi
                  sleep 0.1
                done
                """;
        Files.writeString(model.resolve("services.toml"), """
                [services.talker]
                type = "systemd-unit"
                exec = ["/bin/sh", "-c", '''%s''', "talker", "%s"]

                # It takes its socket and never accepts: the client that started it waits for ever.
                [services.hung]
                type = "systemd-unit"
                exec = ["/bin/sleep", "100000"]
                ports = { http = %d }
                [services.hung.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                """.formatted(script, talk, hungPort));
        return model;
    }

    @Test
    void logsShowsFollowsAndRefusesAndStatusCarriesAFailedRunsLines(SystemdUserManager systemd) throws Exception {
        Path talk = Files.createDirectories(dir.resolve("talk"));
        Path model = model(systemd, talk);
        String home = dir.resolve("home").toString();
        Run deployed = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, deployed.exitCode(), deployed.out() + deployed.err());

        Run logs = awaitLine(List.of("logs", "talker", "--home", home), "[local] ", "talker started");
        assertEquals(0, logs.exitCode(), logs.err());
        assertTrue(logs.out().lines().allMatch(line -> line.startsWith("[local] ")), "every line says its target: " + logs.out());

        // -f: what the service says after beckon started shows up, until beckon is stopped.
        Process follow = BeckonProcess.withEnvironment(java.util.Map.of()).builder(List.of("logs", "talker", "-f", "-n", "1",
                "--home", home)).start();
        try {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(follow.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (java.io.IOException closed) {
                    // beckon was stopped
                }
            });
            reader.setDaemon(true);
            reader.start();
            String first = lines.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
            assertTrue(first != null && first.startsWith("[local] ") && first.contains("talker started"), "the last line first: " + first);
            Files.writeString(talk.resolve("say"), "said while followed\n");
            String next = lines.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
            assertTrue(next != null && next.startsWith("[local] ") && next.endsWith("talker: said while followed"), String.valueOf(next));
            assertTrue(follow.isAlive(), "-f goes on until it is stopped");
        } finally {
            follow.destroy();
            follow.waitFor(30, TimeUnit.SECONDS);
        }

        // (An unknown service and a bad -n are BadInputTest's: they need no deployment.)
        Run elsewhere = beckon("logs", "talker", "--target", "far", "--home", home);
        assertEquals(1, elsewhere.exitCode());
        assertEquals("beckon: error: profile default has no target far (its targets: local)\n", elsewhere.err());

        // A hung instance: status and plan call it stuck, not running, once its client waited for stuck-after.
        java.net.Socket client = new java.net.Socket();
        client.connect(new java.net.InetSocketAddress("127.0.0.1", hungPort), 10_000);
        for (int i = 0; i < 600 && !systemd.systemctl("is-active", "beckon-default-hung.service").stdout().strip().equals("active"); i++) {
            Thread.sleep(50);
        }
        Run plan = beckon("plan", model.toString(), "--home", home);
        assertTrue(plan.out().contains("# hung@local will be changed") && plan.out().contains("stuck, 1 connection(s) stayed queued on"
                + " 127.0.0.1:" + hungPort + " unaccepted for 1s while beckon-default-hung.service runs: it hangs"), plan.out() + plan.err());

        // A failed instance: status says so with the lines of its failed run, not those of the runs before. Killed, it
        // is restarted, and gives up at once each time, until systemd's start limit fails it.
        Files.writeString(talk.resolve("die"), "");
        systemd.systemctl("kill", "--signal=SIGKILL", "beckon-default-talker.service");
        String unit = "";
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS); System.nanoTime() < deadline
                && !unit.equals("failed"); Thread.sleep(200)) {
            unit = systemd.systemctl("is-active", "beckon-default-talker.service").stdout().strip();
        }
        assertEquals("failed", unit);
        // journald passes the last lines on in its own time.
        Run failed = beckon("status", "--home", home, "--json");
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS); System.nanoTime() < deadline
                && !failed.out().contains("giving up"); Thread.sleep(500)) {
            failed = beckon("status", "--home", home, "--json");
        }
        assertEquals(1, failed.exitCode(), failed.out() + failed.err());
        assertTrue(failed.out().contains("\"state\" : \"failed\""), failed.out());
        assertTrue(failed.out().contains("\"log\" : [") && failed.out().contains("talker: giving up, as die says"), failed.out());
        assertTrue(!failed.out().contains("said while followed"), "only the failed run's lines: " + failed.out());
        assertTrue(failed.out().contains("\"service\" : \"hung\",\n    \"state\" : \"stuck\""), failed.out());
        Run text = beckon("status", "--home", home);
        client.close();
        assertEquals(1, text.exitCode());
        assertTrue(text.out().contains("\n  hung                 stuck      1 connection(s) stayed queued"), text.out());
        assertTrue(text.out().lines().anyMatch(line -> line.matches(" +\\| .*talker: giving up, as die says")), text.out());
    }

    /** Runs beckon until its output has a line with both texts: journald passes lines on in its own time. */
    private static Run awaitLine(List<String> args, String prefix, String text) throws InterruptedException {
        Run run = null;
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS); System.nanoTime() < deadline; ) {
            run = BeckonProcess.withEnvironment(java.util.Map.of()).run(args);
            if (run.out().lines().anyMatch(line -> line.startsWith(prefix) && line.contains(text))) {
                return run;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no line with " + text + " within " + PATIENCE_SECONDS + " s: " + run.out() + run.err());
    }
}
