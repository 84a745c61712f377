package dev.beckon.reliability;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client connecting again and again, as fast as it can, while beckon changes the service it talks
 * to: not one connection may be refused, reset or left unanswered.
 */
@ExtendWith(SystemdSandboxExtension.class)
class LoadAcrossChangeIT {
    /** Upgrade and rollback cycles, and on-demand/always-on switches; the long variant repeats them. */
    private static final int CYCLES = LongVariants.choose(1, 10);

    @TempDir
    Path dir;

    private Path model;
    private String home;
    private int port;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        home = dir.resolve("home").toString();
        port = TestServices.freePort();
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\n");
    }

    /** Where the service's listeners are: systemd's sockets on demand or always on, or bound by the process itself. */
    private enum Listeners { ON_DEMAND, HELD_ALWAYS_ON }

    @AfterEach
    void undeploy() {
        // The manager is the class's: the next test starts from no units.
        expectSuccess(beckon("undeploy", "--home", home));
    }

    @Test
    void upgradesAndRollbacksRefuseResetAndLeaveUnansweredNoConnection() throws Exception {
        writeServices("hello v1", Listeners.ON_DEMAND);
        deploy();
        assertEquals("hello v1", greeting());

        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            writeServices("hello v2", Listeners.ON_DEMAND);
            Load upgrade = Load.during(port, this::deploy);
            assertEquals("hello v2", greeting());
            Load rollback = Load.during(port, () -> expectSuccess(beckon("rollback", "--to", "1", "--home", home)));
            assertEquals("hello v1", greeting());

            System.out.println("cycle " + cycle + ": upgrade " + upgrade + "; rollback " + rollback);
            upgrade.assertEveryConnectionAnswered("the upgrade");
            rollback.assertEveryConnectionAnswered("the rollback");
            assertTrue(upgrade.greetings().containsKey("hello v1") && upgrade.greetings().containsKey("hello v2"),
                    "the client was served by both versions during the upgrade: " + upgrade);
        }
    }

    /**
     * An always-on service whose listeners systemd holds ({@code [services.X.sockets]}): switched to from
     * on demand and back, which changes only whether it starts at once and whether it exits when idle;
     * upgraded, restarted by hand and rolled back meanwhile. Each restarts only the service while the
     * socket, the same unit throughout, queues the connections that arrive.
     */
    @Test
    void switchesUpgradesRestartsAndRollbacksOfAServiceWithHeldSocketsRefuseResetAndLeaveUnansweredNoConnection(
            SystemdUserManager systemd) throws Exception {
        writeServices("on demand", Listeners.ON_DEMAND);
        deploy();
        assertEquals("on demand", greeting());
        String socketSince = unitProperty(systemd, SOCKET, "ActiveEnterTimestampMonotonic");
        int generation = 1; // the highest

        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            writeServices("always on " + cycle, Listeners.HELD_ALWAYS_ON);
            Load toAlwaysOn = Load.during(port, this::deploy);
            int alwaysOnGeneration = ++generation;
            assertEquals("always on " + cycle, greeting());
            writeServices("always on v2", Listeners.HELD_ALWAYS_ON);
            Load upgrade = Load.during(port, this::deploy);
            generation++;
            assertEquals("always on v2", greeting());
            Load restart = Load.during(port, () -> assertEquals(0, systemd.systemctl("restart", SERVICE).exitCode()));
            Load rollback = Load.during(port,
                    () -> expectSuccess(beckon("rollback", "--to", String.valueOf(alwaysOnGeneration), "--home", home)));
            // A rollback moves the current generation back; the next deployment is numbered after the highest.
            assertEquals("always on " + cycle, greeting());
            writeServices("on demand " + cycle, Listeners.ON_DEMAND);
            Load toOnDemand = Load.during(port, this::deploy);
            generation++;
            assertEquals("on demand " + cycle, greeting());

            System.out.println("cycle " + cycle + ": on demand to always on: " + toAlwaysOn + "; upgrade " + upgrade + "; restart "
                    + restart + "; rollback " + rollback + "; always on to on demand: " + toOnDemand);
            toAlwaysOn.assertEveryConnectionAnswered("the switch to always on");
            upgrade.assertEveryConnectionAnswered("the upgrade of the always-on service");
            restart.assertEveryConnectionAnswered("the restart of the always-on service");
            rollback.assertEveryConnectionAnswered("the rollback of the always-on service");
            toOnDemand.assertEveryConnectionAnswered("the switch to on demand");
        }
        assertEquals(socketSince, unitProperty(systemd, SOCKET, "ActiveEnterTimestampMonotonic"),
                "the socket listened throughout: only the service was restarted");
    }

    /**
     * A client that took its connection before an upgrade and asks only once the old version has been
     * told to stop gets its answer from that version: stopping drains (SIGTERM to the main process,
     * which stops accepting and finishes what it took, within stop-timeout); a client that connects
     * meanwhile waits in the socket's backlog and is answered too.
     */
    @Test
    void aConnectionHeldOpenAcrossAnUpgradeOfItsServerCompletesItsRequest(SystemdUserManager systemd) throws Exception {
        writeDrainingServices("v1");
        deploy();
        assertEquals("active", unitProperty(systemd, SERVICE, "ActiveState"), "always on: it runs before any connection");
        assertEquals("mixed", unitProperty(systemd, SERVICE, "KillMode"), "its connections' processes are killed only after it");
        assertEquals("1min 30s", unitProperty(systemd, SERVICE, "TimeoutStopUSec"), "the model's stop-timeout");
        try (Socket held = new Socket()) {
            held.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            held.setSoTimeout(60_000);
            BufferedReader heldIn = new BufferedReader(new InputStreamReader(held.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("v1 ready", heldIn.readLine(), "the old version took the connection");

            writeDrainingServices("v2");
            java.util.concurrent.CompletableFuture<Run> upgrade = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> beckon("deploy", model.toString(), "--home", home));
            // The old version is stopping, and stays so while it has the connection to finish.
            while (!unitProperty(systemd, SERVICE, "ActiveState").equals("deactivating")) {
                assertTrue(!upgrade.isDone(), "the upgrade ended before the old version had finished its connection: "
                        + (upgrade.isDone() ? upgrade.get().output() : ""));
                Thread.sleep(20);
            }
            try (Socket waiting = new Socket()) {
                waiting.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                waiting.setSoTimeout(60_000);
                // Asked at once: whichever version takes it must not wait on this client to finish.
                waiting.getOutputStream().write("later\n".getBytes(StandardCharsets.UTF_8));
                held.getOutputStream().write("question\n".getBytes(StandardCharsets.UTF_8));
                assertEquals("v1 answers question", heldIn.readLine(), "the held connection completed its request");
                expectSuccess(upgrade.get());

                BufferedReader waitingIn = new BufferedReader(new InputStreamReader(waiting.getInputStream(), StandardCharsets.UTF_8));
                String version = waitingIn.readLine().replace(" ready", "");
                assertEquals(version + " answers later", waitingIn.readLine(), "the connection made while it drained was served");
            }
        }
        assertEquals("v2 ready", firstLine(), "the new version serves");
    }

    private String firstLine() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.setSoTimeout(60_000);
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    private void writeDrainingServices(String version) throws Exception {
        Path classes = Path.of(DrainingRequestServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path idleMonitor = Path.of(dev.beckon.idle.IdleMonitor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", "{package}:%s", "%s", "%s"]
                ports = { http = %d }
                stop-timeout = "90s"
                [services.hello.sockets]
                listen = ["127.0.0.1:{ports.http}"]
                """.formatted(classes, idleMonitor, DrainingRequestServer.class.getName(), version, port));
    }

    private static final String SERVICE = "beckon-default-hello.service";
    private static final String SOCKET = "beckon-default-hello.socket";

    private static String unitProperty(SystemdUserManager systemd, String unit, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", unit).stdout().strip();
    }

    private void writeServices(String greeting, Listeners listeners) throws Exception {
        Path classes = Path.of(EitherWayGreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", "{package}", "%s", "{ports.http}", "%s"]
                class-data-archive = false
                ports = { http = %d }
                [services.hello.%s]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                """.formatted(classes, EitherWayGreetingServer.class.getName(), greeting, port,
                listeners == Listeners.ON_DEMAND ? "on-demand" : "sockets"));
    }

    private void deploy() {
        expectSuccess(beckon("deploy", model.toString(), "--home", home));
    }

    private static void expectSuccess(Run run) {
        assertEquals(0, run.exitCode(), run.out() + run.err());
    }

    private String greeting() throws IOException {
        return TestServices.text(TestServices.greeting(port));
    }

    /**
     * What one client saw while a change ran: each connection, made one after the other, counted by how
     * it ended, and the greetings it got.
     */
    static final class Load {
        private static final int CONNECT_MILLIS = 2_000;
        private static final int ANSWER_MILLIS = 10_000;
        /** The client goes on a little after the change, so that what the change left behind is tried too. */
        private static final long AFTER_MILLIS = 300;

        private final Map<String, Integer> greetings = new TreeMap<>();
        private final List<String> failures = new ArrayList<>();
        private int answered;
        private int refused;
        private int reset;
        private int unanswered;

        /** Runs {@code change} while a client thread connects to 127.0.0.1:port again and again. */
        static Load during(int port, ThrowingRunnable change) throws Exception {
            Load load = new Load();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread client = new Thread(() -> {
                while (!done.get()) {
                    load.connect(port);
                }
            }, "looping client");
            client.start();
            try {
                change.run();
                Thread.sleep(AFTER_MILLIS);
            } finally {
                done.set(true);
                client.join();
            }
            assertTrue(load.total() > 5, "too few connections to prove anything: " + load);
            return load;
        }

        private void connect(int port) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_MILLIS);
                socket.setSoTimeout(ANSWER_MILLIS);
                String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (text.endsWith("\n")) {
                    record(() -> {
                        answered++;
                        greetings.merge(TestServices.text(text.strip()), 1, Integer::sum);
                    }, null);
                } else {
                    record(() -> unanswered++, "closed after " + text.length() + " characters and no greeting");
                }
            } catch (ConnectException e) {
                record(() -> refused++, e.toString());
            } catch (SocketTimeoutException e) {
                record(() -> unanswered++, e.toString());
            } catch (SocketException e) {
                record(() -> reset++, e.toString());
            } catch (IOException e) {
                record(() -> unanswered++, e.toString());
            }
        }

        private synchronized void record(Runnable count, String failure) {
            count.run();
            if (failure != null && failures.size() < 10) {
                failures.add("connection " + total() + ": " + failure);
            }
        }

        synchronized int total() {
            return answered + refused + reset + unanswered;
        }

        synchronized Map<String, Integer> greetings() {
            return new TreeMap<>(greetings);
        }

        synchronized void assertEveryConnectionAnswered(String during) {
            assertEquals(0, refused + reset + unanswered, during + ": " + this + "; first failures: " + failures);
        }

        @Override
        public synchronized String toString() {
            return total() + " connections: " + answered + " answered " + greetings + ", " + refused + " refused, " + reset
                    + " reset, " + unanswered + " unanswered";
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
