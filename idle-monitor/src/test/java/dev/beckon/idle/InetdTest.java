package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.beckon.idle.services.EchoService;
import dev.beckon.sandbox.InetdDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library under openbsd-inetd ({@code wait}: the listening socket on standard input;
 * {@code nowait}: one connection there) and xinetd ({@code wait = yes}), each running on a
 * configuration of the test's own.
 */
class InetdTest {
    @TempDir
    Path directory;

    @Test
    void openbsdInetdWaitHandsOverTheListenerWhichExitsZeroWhenIdle() throws Exception {
        int port = Clients.freePort();
        Path config = directory.resolve("inetd.conf");
        Files.writeString(config, "127.0.0.1:" + port + " stream tcp wait root /bin/sh sh " + script("300ms") + "\n");
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(config, directory)) {
            long pid = Clients.pid(Clients.askOnceListening(port, "one"));
            assertEquals(pid, Clients.pid(Clients.ask(port, "two")));

            assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(10)), ChildJvm.logs(directory));
            assertEquals(0, exitCodeFromInetdLog(inetd, pid));
            long next = Clients.pid(Clients.ask(port, "three"));
            assertNotEquals(pid, next, "inetd starts a new server for a connection after the idle exit");
            assertTrue(ChildJvm.logs(directory).contains("mode=STANDARD_INPUT_LISTENER"), ChildJvm.logs(directory));
        }
    }

    @Test
    void theReadmeExampleRunsUnderInetd() throws Exception {
        int port = Clients.freePort();
        Path config = directory.resolve("inetd.conf");
        Path script = script("300ms", example.EchoServer.class);
        Files.writeString(config, "127.0.0.1:" + port + " stream tcp wait root /bin/sh sh " + script + "\n");
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(config, directory);
                java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
            client.setSoTimeout(20_000);
            client.getOutputStream().write("echo me\n".getBytes());
            byte[] answer = client.getInputStream().readNBytes(8);
            assertEquals("echo me\n", new String(answer));
            client.close();
            long pid = inetd.servers().stream().findFirst().orElseThrow();
            assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(10)), "the example did not end when idle");
            assertEquals(0, exitCodeFromInetdLog(inetd, pid));
        }
    }

    @Test
    void openbsdInetdNowaitHandsOverOneConnectionWhichIsServedThenTheProcessExits() throws Exception {
        int port = Clients.freePort();
        Path config = directory.resolve("inetd.conf");
        // A long idle timeout, to show that a connection's process does not wait for it.
        Files.writeString(config, "127.0.0.1:" + port + " stream tcp nowait root /bin/sh sh " + script("60s") + "\n");
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(config, directory)) {
            long pid = Clients.pid(Clients.askOnceListening(port, "one"));

            // Well within the 60 s idle timeout; the log line below says it ended because its connection was served.
            assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(30)), ChildJvm.logs(directory));
            assertEquals(0, exitCodeFromInetdLog(inetd, pid));
            assertNotEquals(pid, Clients.pid(Clients.ask(port, "two")));
            assertTrue(ChildJvm.logs(directory).contains("mode=CONNECTION"), ChildJvm.logs(directory));
            assertTrue(ChildJvm.logs(directory).contains("connection served; exiting"), ChildJvm.logs(directory));
        }
    }

    @Test
    void xinetdWaitHandsOverTheListenerWhichExitsZeroWhenIdle() throws Exception {
        int port = Clients.freePort();
        Path services = Files.createDirectories(directory.resolve("xinetd.d"));
        Path xinetdLog = directory.resolve("xinetd-services.log");
        Files.writeString(services.resolve("echo"), """
                service idle-echo
                {
                    type           = UNLISTED
                    port           = %d
                    bind           = 127.0.0.1
                    socket_type    = stream
                    protocol       = tcp
                    wait           = yes
                    user           = root
                    server         = /bin/sh
                    server_args    = %s
                    log_type       = FILE %s
                    log_on_success = PID EXIT
                }
                """.formatted(port, script("300ms"), xinetdLog));
        Path config = directory.resolve("xinetd.conf");
        Files.writeString(config, "defaults\n{\n}\nincludedir " + services + "\n");
        try (InetdDaemon xinetd = InetdDaemon.xinetd(config, directory)) {
            long pid = Clients.pid(Clients.askOnceListening(port, "one"));
            assertEquals(pid, Clients.pid(Clients.ask(port, "two")));

            assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(10)), ChildJvm.logs(directory));
            String exitLine = awaitLine(xinetdLog, Pattern.compile("EXIT: idle-echo status=(-?[0-9]+) pid=" + pid + "\\b.*"));
            assertTrue(exitLine.contains("status=0 "), exitLine);
            assertNotEquals(pid, Clients.pid(Clients.ask(port, "three")));
        }
    }

    /** A launcher script: inetd's configuration lines are too short for the JVM's class path. */
    private String script(String idleTimeout) throws IOException {
        return script(idleTimeout, EchoService.class).toString();
    }

    private Path script(String idleTimeout, Class<?> main) throws IOException {
        Path script = directory.resolve(main.getSimpleName() + ".sh");
        List<String> command = ChildJvm.command(List.of("-Didle.test.logs=" + directory), main);
        Files.writeString(script, "#!/bin/sh\nexport BECKON_IDLE_TIMEOUT=" + idleTimeout + "\nexec " + ChildJvm.shellLine(command) + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** openbsd-inetd in debug mode logs {@code PID reaped, status HEX}, the raw wait status. */
    private static int exitCodeFromInetdLog(InetdDaemon inetd, long pid) throws Exception {
        String line = awaitLine(inetd.logFile(), Pattern.compile(pid + " reaped, status ([0-9a-f]+)"));
        Matcher status = Pattern.compile("status ([0-9a-f]+)").matcher(line);
        assertTrue(status.find(), line);
        int raw = Integer.parseInt(status.group(1), 16);
        assertEquals(0, raw & 0x7f, "killed by signal " + (raw & 0x7f));
        return (raw >> 8) & 0xff;
    }

    private static String awaitLine(Path log, Pattern pattern) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    if (pattern.matcher(line).find()) {
                        return line;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                fail("no line matching " + pattern + " in " + log + ":\n" + (Files.exists(log) ? Files.readString(log) : "(missing)"));
            }
            Thread.sleep(20);
        }
    }
}
