package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import example.JettyHelloServer;
import example.NettyEchoServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Jetty and Netty examples ({@code example.JettyHelloServer}, {@code example.NettyEchoServer}),
 * run for real under the sandbox's systemd: served through the socket systemd passed, ended when idle
 * with exit code 0, and losing no connection in the deadline race, although both accept on threads
 * of their own.
 */
@ExtendWith(SystemdSandboxExtension.class)
class FrameworksTest {
    /** Activations per framework in the deadline race; more in the long variant. */
    private static final int RACE_CYCLES = Integer.getInteger("idle.frameworks.race.cycles",
            Boolean.getBoolean("beckon.reliability.long") ? 60 : 6);
    private static final long IDLE_MILLIS = 300;
    private static final Pattern HELLO = Pattern.compile("hello pid=([0-9]+)");

    @TempDir
    Path logs;

    private final List<String> unitsToStop = new ArrayList<>();
    private SystemdUserManager systemd;

    @AfterEach
    void stopUnits() {
        for (String unit : unitsToStop) {
            systemd.systemctl("stop", unit);
        }
    }

    @Test
    void jettyServesThroughTheSocketOnStandardInputEndsWhenIdleAndLosesNothingAtTheDeadline(SystemdUserManager systemd)
            throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        // As beckon renders a service with one listener: the socket on standard input.
        install("jetty-hello", "[Socket]\nListenStream=127.0.0.1:" + port + "\n",
                "StandardInput=socket\n", List.of(), JettyHelloServer.class);

        long first = httpPid(port);
        assertEndedWhenIdle("jetty-hello", first);
        assertNotEquals(first, httpPid(port), "a request after the idle exit starts a new process");
        assertAnOpenConnectionKeepsItsProcess("jetty-hello", port, FrameworksTest::keptAliveRequest);

        race("jetty-hello", port, () -> httpPid(port));
    }

    @Test
    void nettyBoundToTwoConnectionsServesThroughANamedListenFdEndsWhenIdleAndLosesNothingAtTheDeadline(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        int port = Clients.freePort();
        // A bound of 2, below the race's bursts of 3: the boss loop waits in admit() while clients queue in the backlog.
        install("netty-echo", "[Socket]\nListenStream=127.0.0.1:" + port + "\nFileDescriptorName=echo\n",
                "Sockets=netty-echo.socket\nEnvironment=" + IdleMonitor.MAX_CONNECTIONS_VARIABLE + "=2\n", List.of(ChildJvm.ADD_OPENS),
                NettyEchoServer.class);

        long first = Clients.pid(Clients.ask(port, "hello"));
        assertEndedWhenIdle("netty-echo", first);
        assertNotEquals(first, Clients.pid(Clients.ask(port, "later")), "a connection after the idle exit starts a new process");
        assertAnOpenConnectionKeepsItsProcess("netty-echo", port, FrameworksTest::oneLine);

        race("netty-echo", port, () -> Clients.pid(Clients.ask(port, "burst", DeadlineRace.ANSWER_LIMIT)));
    }

    private void race(String name, int port, DeadlineRace.Client client) throws Exception {
        DeadlineRace race = new DeadlineRace(IDLE_MILLIS, RACE_CYCLES, 0, 3, () -> DeadlineRace.snapshot(systemd, name, port, logs));
        System.out.println(name + " deadline race: " + race.run(client, () -> ""));
        assertEquals("active", property(name + ".socket", "ActiveState"));
        assertEquals("0", property(name + ".socket", "NRefused"));
    }

    /** One exchange on a connection that stays open; returns the pid that answered. */
    @FunctionalInterface
    private interface Exchange {
        long on(Socket connection) throws IOException;
    }

    /**
     * The framework's accept is counted: a connection that stays open after one answer keeps its
     * process (counting broken, it would end within 1.25 idle timeouts of the answer); closing it
     * lets the process end.
     */
    private void assertAnOpenConnectionKeepsItsProcess(String name, int port, Exchange exchange) throws Exception {
        long pid;
        try (Socket kept = new Socket()) {
            kept.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            kept.setSoTimeout((int) DeadlineRace.ANSWER_LIMIT.toMillis());
            pid = exchange.on(kept);
            Thread.sleep(5 * IDLE_MILLIS);
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    name + " ended with a connection open: the connection its framework accepted was not counted");
        }
        assertEndedWhenIdle(name, pid);
    }

    /** Jetty: one keep-alive request, so the connection stays open after the answer. */
    private static long keptAliveRequest(Socket connection) throws IOException {
        connection.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            Matcher hello = HELLO.matcher(line);
            if (hello.find()) {
                return Long.parseLong(hello.group(1));
            }
        }
        throw new IOException("Jetty closed the connection without answering");
    }

    /** Netty: one line, answered, on a connection that stays open. */
    private static long oneLine(Socket connection) throws IOException {
        connection.getOutputStream().write("kept\n".getBytes(StandardCharsets.UTF_8));
        String answer = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (answer == null) {
            throw new IOException("Netty closed the connection without answering");
        }
        return Clients.pid(answer);
    }

    private void assertEndedWhenIdle(String name, long pid) throws Exception {
        assertTrue(Clients.awaitExit(pid, Duration.ofSeconds(20)), name + " did not end when idle");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!property(name + ".service", "ActiveState").equals("inactive") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("success", property(name + ".service", "Result"));
        assertEquals("0", property(name + ".service", "ExecMainStatus"));
    }

    /** One HTTP/1.1 request on a connection of its own; the pid in Jetty's answer. */
    private static long httpPid(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout((int) DeadlineRace.ANSWER_LIMIT.toMillis());
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Matcher hello = HELLO.matcher(response);
            if (!response.startsWith("HTTP/1.1 200") || !hello.find()) {
                throw new IOException("not Jetty's answer: " + response);
            }
            return Long.parseLong(hello.group(1));
        }
    }

    private void install(String name, String socketUnit, String serviceSettings, List<String> jvmOptions, Class<?> main)
            throws IOException {
        Files.writeString(systemd.unitDirectory().resolve(name + ".socket"), socketUnit);
        Files.writeString(systemd.unitDirectory().resolve(name + ".service"), "[Unit]\n"
                // Each idle exit is followed by a start; the default limit (5 in 10 s) would fail the socket.
                + "StartLimitIntervalSec=0\n"
                + "[Service]\n"
                + "ExecStart=" + ChildJvm.shellLine(ChildJvm.command(jvmOptions, main)) + "\n"
                + "Environment=" + IdleMonitor.IDLE_TIMEOUT_VARIABLE + "=" + IDLE_MILLIS + "ms\n"
                + "StandardOutput=journal\nStandardError=journal\n"
                + serviceSettings);
        assertTrue(systemd.systemctl("daemon-reload").succeeded());
        assertTrue(systemd.systemctl("start", name + ".socket").succeeded());
        unitsToStop.add(name + ".socket");
        unitsToStop.add(name + ".service");
    }

    private String property(String unit, String name) {
        return systemd.systemctl("show", "--property=" + name, "--value", unit).stdout().strip();
    }
}
