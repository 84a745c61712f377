package dev.beckon.examples.counter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof of warm state (issue 20, item 3), through bin/beckon against a real systemd user manager: an on-demand
 * counter keeps every acknowledged increment, and none twice, while it is SIGKILLed at random moments and idles out
 * in between (at least after every fourth kill: beckon's failure guard stops the socket of a service that failed
 * five times in a row); its count moves with it from target a to target b ({@code deploy --move-state}); the restore of an
 * older snapshot brings that snapshot's count back; and a reboot (a new manager on the same directories) keeps its bytes.
 *
 * <p>Small by default (1,000 increments, 10 kills); {@code -Dbeckon.reliability.long=true}, the switch of the
 * reliability suite's long variants, runs the 10,000 increments and 100 kills.
 */
@ExtendWith(SystemdSandboxExtension.class)
class WarmCounterIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final int PORT = 18090;
    private static final String SERVICE_UNIT = "beckon-default-counter.service";
    private static final boolean LONG = Boolean.getBoolean("beckon.reliability.long");
    private static final int INCREMENTS = LONG ? 10_000 : 1_000;
    private static final int KILLS = LONG ? 100 : 10;
    private static final int IDLE_EXITS = LONG ? 10 : 3;
    private static final Pattern TOOK = Pattern.compile("Took snapshot (\\S+) of counter@(\\S+): .* in ([0-9.]+ s)\\.");

    @Test
    void theCountSurvivesKillsAndIdleExitsMovesWithTheServiceAndComesBackFromAnOlderSnapshot(SystemdUserManager systemd,
            @TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("services.toml"), Files.readString(EXAMPLE.resolve("services.toml"))
                .replace("package = \"target/warm-counter\"", "package = \"" + EXAMPLE.resolve("target/warm-counter") + "\"")
                // Each snapshot, restore and move writes the whole region durably; the count needs one unit.
                .replace("size = \"64MiB\"", "size = \"1MiB\""));
        StringBuilder infrastructure = new StringBuilder();
        for (String target : new String[] {"a", "b"}) {
            infrastructure.append("""
                    [targets.%1$s]
                    host = "localhost"
                    hostname = "127.0.0.1"
                    state-dir = "%2$s"
                    [targets.%1$s.containers.systemd-unit]
                    scope = "user"
                    bus = "%3$s"
                    journal-directory = "%4$s"
                    """.formatted(target, dir.resolve("state-" + target), systemd.busAddress(), systemd.journalDirectory()));
        }
        Files.writeString(model.resolve("infrastructure.toml"), infrastructure);
        Files.writeString(model.resolve("distribution.toml"), "counter = [\"a\"]\n");
        String home = dir.resolve("home").toString();
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));
        assertTrue(Files.isRegularFile(dir.resolve("state-a/services/default/counter/state")),
                "the region is made in the target's state directory, outside the store");
        long counted = countWhileKilledAndIdling(systemd, 0, INCREMENTS, KILLS, IDLE_EXITS);
        assertEquals(INCREMENTS, counted, "the count after every increment was acknowledged once");
        assertEquals(INCREMENTS, get(), "the count read back");

        Files.writeString(model.resolve("distribution.toml"), "counter = [\"b\"]\n");
        assertSucceeds(beckon("deploy", model.toString(), "--home", home, "--move-state"));
        assertEquals(INCREMENTS, get(), "the count moved from target a to target b");
        String[] snapshot = beckon("snapshot", "counter", "--home", home);
        assertSucceeds(snapshot);
        Matcher took = TOOK.matcher(snapshot[1]);
        assertTrue(took.find(), snapshot[1]);
        assertEquals("b", took.group(2));
        System.out.println("WarmCounterIT: a snapshot of 1MiB of warm state took " + took.group(3) + " through bin/beckon");
        String older = took.group(1);

        increment(1, 5);
        assertEquals(INCREMENTS + 5, get());
        String[] list = beckon("snapshots", "counter", "--home", home);
        assertSucceeds(list);
        assertTrue(list[1].contains(older + "  counter@b"), list[1]);

        assertSucceeds(beckon("restore", "counter", older, "--home", home));
        assertEquals(INCREMENTS, get(), "the restore of the older snapshot brings its count back");

        String[] unknown = beckon("restore", "counter", "20000101T000000.000Z", "--home", home);
        assertEquals("1", unknown[0], unknown[1] + unknown[2]);
        assertTrue(unknown[2].startsWith("beckon: error: counter@b has no snapshot \"20000101T000000.000Z\"; it has "), unknown[2]);
        assertEquals(INCREMENTS, get(), "a refused restore changes nothing");

        // A reboot: every process dies and /run is emptied. The region keeps its bytes, and the first connection to the
        // new manager (whose enabled socket listens by itself) starts a counter that counts on from them.
        Path region = dir.resolve("state-b/services/default/counter/state");
        byte[] beforeReboot = Files.readAllBytes(region);
        systemd.reboot();
        assertArrayEquals(beforeReboot, Files.readAllBytes(region), "a reboot leaves the warm state's bytes as they were");
        assertEquals(INCREMENTS, get(), "the count after a reboot");
    }

    /**
     * Sends {@code increments} increments as client 1 from sequence {@code from + 1}, each until it is acknowledged,
     * while the service is SIGKILLed {@code kills} times (a short random while after an increment is sent, so some
     * land mid-write) and left to idle out {@code idleExits} times; returns the count of the last acknowledgement.
     */
    private static long countWhileKilledAndIdling(SystemdUserManager systemd, long from, int increments, int kills, int idleExits)
            throws Exception {
        Random random = new Random();
        Set<Integer> killAt = randomIndices(random, increments, kills);
        Set<Integer> idleAt = randomIndices(random, increments, idleExits);
        long acknowledged = -1;
        Connection connection = null;
        int killed = 0;
        int killsSinceIdle = 0;
        Thread killer = null;
        String lastFailure = "";
        for (int i = 1; i <= increments; i++) {
            long sequence = from + i;
            // beckon's failure guard stops the socket after 5 failed runs in a row: a clean idle exit comes between.
            if ((idleAt.contains(i) || killsSinceIdle == 4) && connection != null) {
                killsSinceIdle = 0;
                if (killer != null) {
                    killer.join();
                }
                connection.close();
                connection = null;
                idleOut(systemd);
            }
            boolean kill = killAt.contains(i);
            for (int attempt = 0; ; attempt++) {
                assertTrue(attempt < 50, "increment " + sequence + " was never acknowledged: " + lastFailure + "\n"
                        + systemd.systemctl("status", "--no-pager", SERVICE_UNIT, "beckon-default-counter.socket").stdout());
                try {
                    if (connection == null) {
                        connection = new Connection();
                    }
                    if (kill) {
                        long pid = mainPid(systemd);
                        if (pid > 0) {
                            killer = new Thread(() -> {
                                sleepMicros(random.nextInt(3_000));
                                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                            });
                            killer.start();
                            killed++;
                            killsSinceIdle++;
                        }
                        kill = false;
                    }
                    String answer = connection.ask("INC 1 " + sequence);
                    assertTrue(answer.startsWith("OK " + sequence + " "), "increment " + sequence + " was answered " + answer);
                    acknowledged = Long.parseLong(answer.split(" ")[2]);
                    break;
                } catch (IOException died) {
                    lastFailure = died.toString();
                    Thread.sleep(20L * attempt);
                    // Killed before it answered: committed or not, the same line again is counted at most once.
                    if (connection != null) {
                        connection.close();
                        connection = null;
                    }
                }
            }
        }
        if (connection != null) {
            connection.close();
        }
        assertTrue(killed >= kills / 2, "only " + killed + " kills found a running service, which proves too little");
        return acknowledged;
    }

    private static Set<Integer> randomIndices(Random random, int bound, int count) {
        Set<Integer> chosen = new TreeSet<>();
        while (chosen.size() < count) {
            chosen.add(2 + random.nextInt(bound - 1));
        }
        return chosen;
    }

    private static void increment(int client, int times) throws IOException {
        try (Connection connection = new Connection()) {
            long last = Long.parseLong(connection.ask("GET").split(" ")[1]);
            for (int i = 0; i < times; i++) {
                // A client of its own: its sequence starts at 1.
                String answer = connection.ask("INC 2 " + (i + 1));
                assertTrue(answer.startsWith("OK "), answer);
                last = Long.parseLong(answer.split(" ")[2]);
            }
            assertTrue(last > 0);
        }
    }

    private static long get() throws IOException {
        try (Connection connection = new Connection()) {
            String answer = connection.ask("GET");
            assertTrue(answer.startsWith("COUNT "), answer);
            return Long.parseLong(answer.substring("COUNT ".length()));
        }
    }

    private static long mainPid(SystemdUserManager systemd) {
        return Long.parseLong(systemd.systemctl("show", "--property=MainPID", "--value", SERVICE_UNIT).stdout().strip());
    }

    /**
     * Lets a running counter end by itself: one more connection makes sure a process runs (the last may have been
     * killed), then no client for its idle timeout. Waits for a clean exit; no timing is asserted, only that it happens.
     */
    private static void idleOut(SystemdUserManager systemd) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                get();
                break;
            } catch (IOException stillDying) {
                // The connection reached the process killed last, before it was gone.
                assertTrue(attempt < 20, "the counter did not answer again: " + stillDying);
                Thread.sleep(100);
            }
        }
        long pid = mainPid(systemd);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) || mainPid(systemd) != 0) {
            assertTrue(System.nanoTime() < deadline, "the counter did not idle out");
            Thread.sleep(100);
        }
        assertEquals("success", systemd.systemctl("show", "--property=Result", "--value", SERVICE_UNIT).stdout().strip(),
                "an idle exit is a clean one");
    }

    private static void sleepMicros(long micros) {
        try {
            Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void assertSucceeds(String[] run) {
        assertEquals("0", run[0], run[1] + run[2]);
    }

    private static String[] beckon(String... args) {
        BeckonProcess.Run run = BeckonProcess.withEnvironment(Map.of()).run(args);
        return new String[] {String.valueOf(run.exitCode()), run.out(), run.err()};
    }

    /** One connection to the counter, one line asked, one answered. */
    private static final class Connection implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;

        Connection() throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", PORT), 30_000);
            socket.setSoTimeout(60_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        String ask(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = in.readLine();
            if (answer == null) {
                throw new IOException("the counter closed the connection");
            }
            return answer;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do.
            }
        }
    }
}
