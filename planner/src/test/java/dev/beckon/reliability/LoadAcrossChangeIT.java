package dev.beckon.reliability;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client connecting again and again, as fast as it can, while beckon changes the service it talks
 * to: not one connection may be refused, reset or left unanswered.
 */
@ExtendWith(SystemdSandboxExtension.class)
class LoadAcrossChangeIT {
    /** Upgrade and rollback cycles; the long variant repeats them. */
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
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                bus = "%s"
                journal-directory = "%s"
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\n");
    }

    @Test
    void upgradesAndRollbacksRefuseResetAndLeaveUnansweredNoConnection() throws Exception {
        writeServices("hello v1", true);
        deploy();
        assertEquals("hello v1", greeting());

        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            writeServices("hello v2", true);
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
     * FIXME: a limitation to decide on, not a flaky test. The port passes between systemd's socket and a
     * listener the always-on process binds itself, and in between nothing listens: going to always on,
     * beckon stops the socket (its queued connections are reset) and starts the service, which binds
     * when its JVM is up; coming back, it stops the service and then starts the socket. Measured here:
     * 520 refused and 1 reset going to always on, 17 refused coming back. Run it anyway with
     * {@code -Djunit.jupiter.conditions.deactivate=org.junit.*DisabledCondition}.
     */
    @Disabled("switching between on-demand and always-on refuses connections while neither systemd's socket nor the"
            + " service's own listener holds the port; a limitation of how the switch is built, see the comment")
    @Test
    void switchingBetweenOnDemandAndAlwaysOnRefusesResetsAndLeavesUnansweredNoConnection(SystemdUserManager systemd)
            throws Exception {
        writeServices("on demand", true);
        deploy();
        assertEquals("on demand", greeting());

        writeServices("always on", false);
        Load toAlwaysOn = Load.during(port, this::deploy);
        // Activated means the process runs, not that it listens yet: the model does not say where it does.
        assertEquals("always on", greetingOnceListening());
        assertEquals("not-found", systemd.systemctl("show", "--property=LoadState", "--value", "beckon-default-hello.socket")
                .stdout().strip());
        writeServices("on demand again", true);
        Load toOnDemand = Load.during(port, this::deploy);
        assertEquals("on demand again", greeting());

        System.out.println("on demand to always on: " + toAlwaysOn + "; always on to on demand: " + toOnDemand);
        toAlwaysOn.assertEveryConnectionAnswered("the switch to always on");
        toOnDemand.assertEveryConnectionAnswered("the switch to on demand");
    }

    private void writeServices(String greeting, boolean onDemand) throws Exception {
        Path classes = Path.of(EitherWayGreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", "{package}", "%s", "{ports.http}", "%s"]
                class-data-archive = false
                ports = { http = %d }
                """.formatted(classes, EitherWayGreetingServer.class.getName(), greeting, port)
                + (onDemand ? "[services.hello.on-demand]\nlisten = [\"127.0.0.1:{ports.http}\"]\npass = \"stdin\"\n" : ""));
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

    private String greetingOnceListening() throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return greeting();
            } catch (ConnectException notYet) {
                if (attempt == 100) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
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
