package dev.beckon.planner.generations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several deployers on one profile at once, and a deployer killed while it writes. */
class GenerationsConcurrencyTest {
    @TempDir
    Path temporary;

    private static List<Integer> numbers(List<Generation> generations) {
        return generations.stream().map(Generation::number).collect(Collectors.toList());
    }

    private static List<Integer> oneTo(int last) {
        return IntStream.rangeClosed(1, last).boxed().collect(Collectors.toList());
    }

    @Test
    void recordsFromTwoThreadsGetDistinctNumbers() throws Exception {
        Path directory = temporary.resolve("default");
        int perThread = 10;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<Integer>>> results = new ArrayList<>();
            for (String user : List.of("alice", "bob")) {
                Callable<List<Integer>> deployer = () -> {
                    // Each thread opens its own instance, as two deployments in one JVM would.
                    try (Generations generations = Generations.open(directory, "default")) {
                        start.await();
                        List<Integer> mine = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            byte[] manifest = (user + " " + i).getBytes(StandardCharsets.UTF_8);
                            mine.add(generations.record(manifest, Map.of(), user, null).number());
                        }
                        return mine;
                    }
                };
                results.add(threads.submit(deployer));
            }
            start.countDown();
            Set<Integer> all = new HashSet<>();
            for (Future<List<Integer>> result : results) {
                all.addAll(result.get(30, TimeUnit.SECONDS));
            }
            assertEquals(Set.copyOf(oneTo(2 * perThread)), all, "every record got its own number");
        } finally {
            threads.shutdownNow();
        }
        try (Generations generations = Generations.open(directory, "default")) {
            assertEquals(oneTo(2 * perThread), numbers(generations.list()));
            for (Generation generation : generations.list()) {
                String manifest = new String(generations.manifest(generation.number()), StandardCharsets.UTF_8);
                assertTrue(manifest.startsWith(generation.user() + " "), "generation " + generation.number()
                        + " holds the manifest its recorder wrote, not the other's: " + manifest);
            }
        }
    }

    @Test
    void recordsFromTwoProcessesGetDistinctNumbers() throws Exception {
        Path directory = temporary.resolve("default");
        Generations.open(directory, "default").close(); // created up front, so the processes race on records only
        int perProcess = 8;
        Process first = startRecorder(directory, perProcess);
        Process second = startRecorder(directory, perProcess);
        List<Integer> acknowledged = new ArrayList<>(readAcknowledged(first));
        acknowledged.addAll(readAcknowledged(second));
        assertExitedCleanly(first);
        assertExitedCleanly(second);

        assertEquals(2 * perProcess, new HashSet<>(acknowledged).size(), "numbers acknowledged: " + acknowledged);
        try (Generations generations = Generations.open(directory, "default")) {
            assertEquals(oneTo(2 * perProcess), numbers(generations.list()));
            assertEquals(2 * perProcess, generations.current().orElseThrow().number());
        }
    }

    /**
     * A deployer killed with SIGKILL at random moments, mid-record or mid-rollback: afterwards every generation it
     * was told about is there, the refs agree, and the next deployer records on as if nothing happened.
     */
    @Test
    void aKilledWriterLeavesTheOldStateOrTheNewOne() throws Exception {
        Path directory = temporary.resolve("default");
        Generations.open(directory, "default").close();
        Random random = new Random(7);
        Set<Integer> acknowledged = new HashSet<>();
        // Two kills keep this fast; a run of 150 random kills (11 inside a ref update) held the same invariants.
        for (int kill = 0; kill < 2; kill++) {
            Process recorder = startRecorder(directory, 0);
            BufferedReader output = new BufferedReader(new InputStreamReader(recorder.getInputStream(), StandardCharsets.UTF_8));
            // Wait until it is recording in a loop, then let it run a random part of one record before the kill.
            for (int seen = 0; seen < 2; seen++) {
                acknowledged.add(parseAcknowledged(output.readLine(), recorder));
            }
            TimeUnit.MICROSECONDS.sleep(random.nextInt(20_000));
            recorder.toHandle().destroyForcibly(); // SIGKILL; Process.destroyForcibly would also close its output pipe
            assertTrue(recorder.waitFor(10, TimeUnit.SECONDS));
            String line;
            while ((line = output.readLine()) != null) {
                acknowledged.add(parseAcknowledged(line, recorder));
            }

            try (Generations generations = Generations.open(directory, "default")) {
                List<Generation> kept = generations.list(); // checks that every tag and the pointer agree
                int highest = kept.get(kept.size() - 1).number();
                assertEquals(oneTo(highest), numbers(kept), "no generation lost, none half-made");
                assertTrue(numbers(kept).containsAll(acknowledged), "every acknowledged generation survived: " + acknowledged);
                Generation current = generations.current().orElseThrow();
                assertTrue(numbers(kept).contains(current.number()));
                assertEquals(highest + 1, generations.record(new byte[] {1}, Map.of(), "survivor", null).number(),
                        "writing goes on after the kill: no stale lock blocks it");
                assertArrayEquals(new byte[] {1}, generations.manifest(highest + 1));
            }
        }
        try (var leftovers = Files.walk(directory.resolve("refs"))) {
            assertEquals(List.of(), leftovers.filter(path -> path.toString().endsWith(".lock")).collect(Collectors.toList()));
        }
    }

    /**
     * What a writer killed inside JGit's ref update leaves (seen in a stress run of 150 random kills): lock files
     * beside the refs and packed-refs, some half written. Readers see the old state through them, and the next
     * writer clears them instead of failing on them forever.
     */
    @Test
    void lockFilesLeftByAKilledWriterShowTheOldStateAndDoNotBlockTheNext() throws Exception {
        Path directory = temporary.resolve("default");
        try (Generations generations = Generations.open(directory, "default")) {
            Generation first = generations.record(new byte[] {1}, Map.of(), "alice", null);
            Files.writeString(directory.resolve("packed-refs.lock"), "# pack-refs with: peeled fully-peeled sorted \n0123");
            Files.createDirectories(directory.resolve("refs/tags"));
            Files.createDirectories(directory.resolve("refs/beckon"));
            Files.writeString(directory.resolve("refs/tags/generation-2.lock"), "");
            Files.writeString(directory.resolve("refs/beckon/current.lock"), "");

            assertEquals(List.of(first), generations.list(), "the interrupted generation 2 does not exist");
            assertEquals(2, generations.record(new byte[] {2}, Map.of(), "alice", null).number(), "the next record is not blocked");
            assertEquals(1, generations.makeCurrent(1).number(), "nor is a rollback");
            assertEquals(List.of(1, 2), numbers(generations.list()));
        }
    }

    private static Process startRecorder(Path directory, int count) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // JGit logs through slf4j and the test class path has no binding: the explicit no-op provider keeps slf4j's
        // "no providers" warning out of the test output.
        return new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
                "-Dslf4j.internal.verbosity=ERROR", "-cp", System.getProperty("java.class.path"),
                RecordingProcess.class.getName(), directory.toString(), String.valueOf(count))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static List<Integer> readAcknowledged(Process process) throws IOException {
        List<Integer> numbers = new ArrayList<>();
        try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = output.readLine()) != null) {
                numbers.add(parseAcknowledged(line, process));
            }
        }
        return numbers;
    }

    private static int parseAcknowledged(String line, Process process) {
        assertTrue(line != null && line.startsWith("recorded "), "recorder " + process.pid() + " printed: " + line);
        return Integer.parseInt(line.substring("recorded ".length()));
    }

    private static void assertExitedCleanly(Process process) throws InterruptedException {
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "recorder " + process.pid() + " finished");
        assertEquals(0, process.exitValue(), "recorder " + process.pid() + " exit code");
    }
}
