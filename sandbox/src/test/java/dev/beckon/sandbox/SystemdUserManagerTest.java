package dev.beckon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SystemdSandboxExtension.class)
class SystemdUserManagerTest {

    @Test
    void servesAConnectionThroughASocketUnit(SystemdUserManager systemd) throws IOException {
        int port = Sockets.freePort();
        Files.writeString(systemd.unitDirectory().resolve("harness-echo.socket"), """
                [Socket]
                ListenStream=127.0.0.1:%d
                Accept=yes
                """.formatted(port));
        Files.writeString(systemd.unitDirectory().resolve("harness-echo@.service"), """
                [Service]
                ExecStart=/bin/echo hello through systemd
                StandardInput=socket
                StandardOutput=socket
                """);
        assertSucceeds(systemd.systemctl("daemon-reload"));
        assertSucceeds(systemd.systemctl("start", "harness-echo.socket"));

        assertEquals("hello through systemd\n", Sockets.readAll(port));
        assertEquals("active\n", systemd.systemctl("is-active", "harness-echo.socket").stdout());
        assertEquals("NAccepted=1\n", systemd.systemctl("show", "--property=NAccepted", "harness-echo.socket").stdout());

        assertSucceeds(systemd.systemctl("stop", "harness-echo.socket"));
    }

    @Test
    void keepsTheServicesLogsInItsOwnJournal(SystemdUserManager systemd) throws Exception {
        Files.writeString(systemd.unitDirectory().resolve("harness-logger.service"), """
                [Service]
                Type=oneshot
                ExecStart=/bin/echo logged by the service
                """);
        assertSucceeds(systemd.systemctl("daemon-reload"));
        assertSucceeds(systemd.systemctl("start", "harness-logger.service"));
        String log = "";
        // journald writes in its own time, and a process that is gone before journald looks at its stream is not
        // tied to its unit (_SYSTEMD_UNIT missing, seen here): what is promised is that the line arrives.
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!log.contains("logged by the service") && System.nanoTime() < deadline) {
            Process journalctl = new ProcessBuilder("journalctl", "--directory=" + systemd.journalDirectory(), "--no-pager",
                    "-o", "cat", "_SYSTEMD_UNIT=harness-logger.service", "+", "SYSLOG_IDENTIFIER=echo").redirectErrorStream(true).start();
            log = new String(journalctl.getInputStream().readAllBytes());
            journalctl.waitFor();
            Thread.sleep(100);
        }
        assertTrue(log.contains("logged by the service"), log);
    }

    @Test
    void keepsUnitsInItsOwnDirectory(SystemdUserManager systemd) {
        assertTrue(systemd.unitDirectory().startsWith(systemd.directory()), systemd.unitDirectory().toString());
        String paths = systemd.systemctl("show", "--property=UnitPath").stdout();
        assertTrue(paths.contains(systemd.unitDirectory().toString()), paths);
    }

    @Test
    void closingKillsEveryProcessItStarted(@TempDir Path directory) throws IOException {
        long pid;
        Set<Long> inside;
        try (SystemdUserManager systemd = SystemdUserManager.start(directory)) {
            pid = systemd.pid();
            Files.writeString(systemd.unitDirectory().resolve("harness-sleeper.service"), """
                    [Service]
                    ExecStart=/bin/sleep 3600
                    # Ignores SIGTERM, as a badly written service would, so the harness must use SIGKILL.
                    KillSignal=SIGCONT
                    TimeoutStopSec=60
                    """);
            assertSucceeds(systemd.systemctl("daemon-reload"));
            assertSucceeds(systemd.systemctl("start", "harness-sleeper.service"));
            inside = systemd.processes();
            assertTrue(inside.size() >= 2, "manager and sleeper expected, found " + inside);
        }
        for (long process : inside) {
            assertFalse(Processes.isAlive(process), "process " + process + " outlived the sandbox");
        }
        assertFalse(Processes.isAlive(pid));
        assertTrue(SystemdUserManager.attach(directory).isEmpty(), "a stopped sandbox must not be found again");
    }

    @Test
    void stoppingAUnitInOneSandboxLeavesTheSameUnitOfAnotherRunning(@TempDir Path directory) throws Exception {
        try (SystemdUserManager first = SystemdUserManager.start(directory.resolve("first"));
                SystemdUserManager second = SystemdUserManager.start(directory.resolve("second"))) {
            for (SystemdUserManager systemd : List.of(first, second)) {
                Files.writeString(systemd.unitDirectory().resolve("harness-same.service"), "[Service]\nExecStart=/bin/sleep 3600\n");
                assertSucceeds(systemd.systemctl("daemon-reload"));
                assertSucceeds(systemd.systemctl("start", "harness-same.service"));
            }
            long survivor = Long.parseLong(second.systemctl("show", "--property=MainPID", "--value", "harness-same.service")
                    .stdout().strip());

            assertSucceeds(first.systemctl("stop", "harness-same.service"));

            assertTrue(Processes.isAlive(survivor), "stopping the unit in one sandbox killed the other's process");
            assertEquals("active\n", second.systemctl("is-active", "harness-same.service").stdout());
        }
    }

    @Test
    void aLaterProcessFindsTheRunningManager(@TempDir Path directory) throws IOException {
        try (SystemdUserManager started = SystemdUserManager.start(directory)) {
            SystemdUserManager found = SystemdUserManager.attach(directory).orElseThrow();
            assertEquals(started.pid(), found.pid());
            assertTrue(found.exports().contains("export XDG_RUNTIME_DIR=/proc/" + started.pid() + "/root/run/user/0"));
        }
    }

    private static void assertSucceeds(CommandResult result) {
        assertTrue(result.succeeded(), result.toString());
    }
}
