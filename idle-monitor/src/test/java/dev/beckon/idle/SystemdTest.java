package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.beckon.idle.services.EchoService;
import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library under a real systemd user manager (the project's private sandbox): socket units holding
 * the listening sockets, the service started at the first connection and started again after it
 * ended for idleness, {@code Type=notify}, the watchdog and {@code systemctl stop}.
 */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdTest {
    /** How long a state, journal line or log line may take to come: a bound for a hang, generous for a loaded machine. */
    private static final Duration AWAIT_LIMIT = Duration.ofSeconds(60);
    /** Connection bursts in the deadline race; each idle exit in between is one activation cycle. */
    private static final int RACE_CYCLES = Integer.getInteger("idle.race.cycles", 24);
    /**
     * Connections the race needs on top of its cycles: none by default; 10,000 in the reliability
     * suite's long variant ({@code -Dbeckon.reliability.long=true}), in bursts of 40.
     */
    private static final int RACE_CONNECTIONS = Integer.getInteger("idle.race.connections",
            Boolean.getBoolean("beckon.reliability.long") ? 10_000 : 0);
    private static final int RACE_BURST = Integer.getInteger("idle.race.burst", RACE_CONNECTIONS > 0 ? 40 : 3);

    @TempDir
    Path logs;

    private final List<String> unitsToStop = new ArrayList<>();
    private SystemdUserManager systemd;

    @AfterEach
    void stopUnits() {
        if (systemd != null) {
            for (String unit : unitsToStop) {
                systemd.systemctl("stop", unit);
            }
        }
    }

    @Test
    void standardInputSocketStartsTheServiceWhichExitsZeroWhenIdleAndStartsAgain(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        install("stdin-echo", port, "300ms", Map.of(), List.of());

        String first = Clients.ask(port, "one");
        long pid = Clients.pid(first);
        assertEquals("one pid=" + pid + " listener=any", first);
        assertEquals(pid, Clients.pid(Clients.ask(port, "two")), "a second connection within the timeout is served by the same process");

        assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(10)), "did not exit when idle; " + ChildJvm.logs(logs));
        awaitProperty("stdin-echo.service", "ActiveState", "inactive");
        assertEquals("success", property("stdin-echo.service", "Result"));
        assertEquals("0", property("stdin-echo.service", "ExecMainStatus"));
        assertEquals("active", property("stdin-echo.socket", "ActiveState"), "the socket must still listen");

        long next = Clients.pid(Clients.ask(port, "three"));
        assertNotEquals(pid, next, "a connection after the idle exit starts a new process");
        assertTrue(ChildJvm.logs(logs).contains("idle for 300ms"), ChildJvm.logs(logs));
    }

    @Test
    void listenFdsGiveSeveralSocketsByTheirNames(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int web = Clients.freePort();
        int admin = Clients.freePort();
        write("fds-web.socket", socketUnit(web, "FileDescriptorName=web\nService=fds.service\n"));
        write("fds-admin.socket", socketUnit(admin, "FileDescriptorName=admin\nService=fds.service\n"));
        write("fds.service", serviceUnit("300ms", "Sockets=fds-web.socket fds-admin.socket\n",
                List.of(ChildJvm.ADD_OPENS), "--names", "web,admin"));
        reloadAndStart("fds-web.socket", "fds-admin.socket");
        unitsToStop.add("fds.service");

        String fromWeb = Clients.ask(web, "w");
        long pid = Clients.pid(fromWeb);
        assertEquals("w pid=" + pid + " listener=web", fromWeb);
        assertEquals("a pid=" + pid + " listener=admin", Clients.ask(admin, "a"));

        assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(10)), ChildJvm.logs(logs));
        awaitProperty("fds.service", "ActiveState", "inactive");
        assertEquals("0", property("fds.service", "ExecMainStatus"));
        assertNotEquals(pid, Clients.pid(Clients.ask(admin, "again")));
    }

    @Test
    void notifyUnitBecomesActiveOnReadyShowsItsStatusAndStopsWhenIdle(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        install("notify-echo", port, "400ms", Map.of("Type", "notify"), List.of(),
                "--status", "serving echoes", "--linger-on-shutdown", "2000");

        long pid = Clients.pid(Clients.ask(port, "hello"));
        assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(60)));
        awaitProperty("notify-echo.service", "ActiveState", "inactive");
        assertEquals("success", property("notify-echo.service", "Result"));
        assertEquals("0", property("notify-echo.service", "ExecMainStatus"));
        assertEquals("serving echoes", property("notify-echo.service", "StatusText"));
        // systemd's own record rather than its states, which last milliseconds when the notify thread
        // is slow to load its native binding on a busy machine: READY=1 made the unit active, and
        // STOPPING=1 made it leave active before the process exited (with the shutdown action run).
        long becameActive = Long.parseLong(property("notify-echo.service", "ActiveEnterTimestampMonotonic"));
        long leftActive = Long.parseLong(property("notify-echo.service", "ActiveExitTimestampMonotonic"));
        long exited = Long.parseLong(property("notify-echo.service", "ExecMainExitTimestampMonotonic"));
        assertTrue(becameActive > 0, "never active: systemd did not hear READY=1");
        assertTrue(leftActive < exited, "left active only at the exit: systemd did not hear STOPPING=1 before it");
        assertTrue(ChildJvm.logs(logs).contains("shutdown action: lingering 2000 ms"), ChildJvm.logs(logs));
    }

    @Test
    void watchdogPingsKeepAServiceWithWatchdogSecAlive(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        // The control: the same watchdog kills a process that does not ping, so this sandbox enforces it.
        write("silent.service", "[Service]\nExecStart=/bin/sleep 60\nWatchdogSec=1s\n");
        int port = Clients.freePort();
        install("watched-echo", port, "0", Map.of("Type", "notify", "WatchdogSec", "1s"), List.of());
        systemd.systemctl("daemon-reload");
        assertSucceeds(systemd.systemctl("start", "silent.service"));
        unitsToStop.add("silent.service");

        long pid = Clients.pid(Clients.ask(port, "hello"));
        awaitProperty("watched-echo.service", "ActiveState", "active");
        Thread.sleep(3_500);

        assertEquals("watchdog", property("silent.service", "Result"), "the control service was not killed by the watchdog");
        assertEquals("active", property("watched-echo.service", "ActiveState"));
        assertEquals("success", property("watched-echo.service", "Result"));
        assertEquals(String.valueOf(pid), property("watched-echo.service", "MainPID"));
        assertEquals(pid, Clients.pid(Clients.ask(port, "still there")));
    }

    @Test
    void sigtermLetsTheRequestInFlightFinishThenExitsZero(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        install("drain-echo", port, "30s", Map.of(), List.of(), "--drain", "5000");
        long pid = Clients.pid(Clients.ask(port, "hello"));

        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return Clients.ask(port, "slow 1500");
            } catch (IOException e) {
                return "failed: " + e;
            }
        });
        awaitLog("slow request");
        assertSucceeds(systemd.systemctl("stop", "drain-echo.service"));

        // stop returns once the process is gone: had it not waited, the request in flight would have got no answer.
        assertEquals("done pid=" + pid, slow.get(10, TimeUnit.SECONDS), "the request in flight was answered before the exit");
        assertEquals("success", property("drain-echo.service", "Result"));
        assertEquals("0", property("drain-echo.service", "ExecMainStatus"));
        assertTrue(ChildJvm.logs(logs).contains("SIGTERM; waiting up to 5s for 1 active connection"), ChildJvm.logs(logs));
    }

    @Test
    void theServicesOwnOutputSurvivesTheIdleExit(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        // No log file: the library logs to standard error, which systemd puts in the journal.
        write("stdio-echo.socket", socketUnit(port, ""));
        write("stdio-echo.service", serviceUnit("200ms", "StandardInput=socket\n", List.of(), false,
                "--close-listeners-on-shutdown", "heard after closing the listener"));
        reloadAndStart("stdio-echo.socket");
        unitsToStop.add("stdio-echo.service");
        int flagPort = Clients.freePort();
        write("stdio-flag-echo.socket", socketUnit(flagPort, ""));
        write("stdio-flag-echo.service", serviceUnit("200ms", "StandardInput=socket\n", List.of(ChildJvm.ADD_OPENS), false,
                "--close-listeners-on-shutdown", "heard after closing the listener"));
        reloadAndStart("stdio-flag-echo.socket");
        unitsToStop.add("stdio-flag-echo.service");

        long plain = Clients.pid(Clients.ask(port, "hello"));
        long withFlag = Clients.pid(Clients.ask(flagPort, "hello"));
        assertTrue(Clients.awaitExit(plain, Duration.ofSeconds(10)) && Clients.awaitExit(withFlag, Duration.ofSeconds(10)));

        // The monitor never closes the channel itself, so its own last words reach the journal.
        awaitJournal("idle for 200ms; exiting");
        // An application that closes the listener (as Jetty and Netty do) silences itself through
        // the JDK's channel, unless the monitor could wrap standard input's socket itself.
        String flagged = awaitJournal("heard after closing the listener pid=" + withFlag);
        assertFalse(flagged.contains("heard after closing the listener pid=" + plain),
                "the JDK no longer points fds 0-2 at /dev/null? then the README's warning can go");
    }

    /**
     * The deadline race ({@link DeadlineRace}) against the plain-NIO service, until it was started
     * {@link #RACE_CYCLES} times and {@link #RACE_CONNECTIONS} connections were made.
     */
    @Test
    void noConnectionIsLostAroundTheIdleDeadline(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        long timeoutMillis = 300;
        install("race-echo", port, timeoutMillis + "ms", Map.of(), List.of());
        DeadlineRace race = new DeadlineRace(timeoutMillis, RACE_CYCLES, RACE_CONNECTIONS, RACE_BURST,
                () -> DeadlineRace.snapshot(systemd, "race-echo", port, logs));
        String outcome = race.run(() -> Clients.pid(Clients.ask(port, "burst", DeadlineRace.ANSWER_LIMIT)), () -> ChildJvm.logs(logs));
        System.out.println("deadline race: " + outcome);
        assertEquals("active", property("race-echo.socket", "ActiveState"));
        assertEquals("0", property("race-echo.socket", "NRefused"));
    }

    private void install(String name, int port, String idleTimeout, Map<String, String> serviceSettings, List<String> jvmOptions,
            String... serviceArgs) throws IOException {
        write(name + ".socket", socketUnit(port, ""));
        StringBuilder extra = new StringBuilder("StandardInput=socket\n");
        serviceSettings.forEach((key, value) -> extra.append(key).append('=').append(value).append('\n'));
        write(name + ".service", serviceUnit(idleTimeout, extra.toString(), jvmOptions, serviceArgs));
        reloadAndStart(name + ".socket");
        unitsToStop.add(name + ".service");
    }

    private static String socketUnit(int port, String extra) {
        return "[Socket]\nListenStream=127.0.0.1:" + port + "\n" + extra;
    }

    private String serviceUnit(String idleTimeout, String extra, List<String> jvmOptions, String... serviceArgs) {
        return serviceUnit(idleTimeout, extra, jvmOptions, true, serviceArgs);
    }

    private String serviceUnit(String idleTimeout, String extra, List<String> jvmOptions, boolean logToFile, String... serviceArgs) {
        List<String> options = new ArrayList<>(jvmOptions);
        if (logToFile) {
            options.add("-Didle.test.logs=" + logs);
        }
        return "[Unit]\n"
                // Each idle exit is followed by a start; the default limit (5 in 10 s) would fail the socket.
                + "StartLimitIntervalSec=0\n"
                + "[Service]\n"
                + "ExecStart=" + ChildJvm.shellLine(ChildJvm.command(options, EchoService.class, serviceArgs)) + "\n"
                + "Environment=BECKON_IDLE_TIMEOUT=" + idleTimeout + "\n"
                + "StandardOutput=journal\nStandardError=journal\n"
                + extra;
    }

    private void write(String unit, String text) throws IOException {
        Files.writeString(systemd.unitDirectory().resolve(unit), text);
    }

    private void reloadAndStart(String... sockets) {
        assertSucceeds(systemd.systemctl("daemon-reload"));
        for (String socket : sockets) {
            assertSucceeds(systemd.systemctl("start", socket));
            unitsToStop.add(0, socket);
        }
    }

    private String property(String unit, String name) {
        return systemd.systemctl("show", "--property=" + name, "--value", unit).stdout().strip();
    }

    private void awaitProperty(String unit, String name, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + AWAIT_LIMIT.toNanos();
        String value = property(unit, name);
        while (!value.equals(expected)) {
            if (System.nanoTime() > deadline) {
                fail(unit + " " + name + " stayed " + value + ", expected " + expected + "; "
                        + systemd.systemctl("status", unit).stdout() + "\n" + ChildJvm.logs(logs));
            }
            Thread.sleep(20);
            value = property(unit, name);
        }
    }

    /** Waits until the sandbox's journal holds the text; returns the whole journal. */
    private String awaitJournal(String text) throws Exception {
        long deadline = System.nanoTime() + AWAIT_LIMIT.toNanos();
        while (true) {
            Process journalctl = new ProcessBuilder("journalctl", "--directory=" + systemd.journalDirectory(), "--no-pager",
                    "-o", "cat").redirectErrorStream(true).start();
            String journal = new String(journalctl.getInputStream().readAllBytes());
            journalctl.waitFor();
            if (journal.contains(text)) {
                return journal;
            }
            if (System.nanoTime() > deadline) {
                fail("the journal never showed " + text + ":\n" + journal);
            }
            Thread.sleep(50);
        }
    }

    private void awaitLog(String text) throws InterruptedException {
        long deadline = System.nanoTime() + AWAIT_LIMIT.toNanos();
        while (!ChildJvm.logs(logs).contains(text)) {
            if (System.nanoTime() > deadline) {
                fail("the service never logged " + text + ": " + ChildJvm.logs(logs));
            }
            Thread.sleep(20);
        }
    }

    private static void assertSucceeds(CommandResult result) {
        assertTrue(result.succeeded(), result.toString());
    }
}
