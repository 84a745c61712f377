package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.fail;

import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Bursts of connections at random moments around a socket-activated service's idle deadline, each
 * burst after the previous one was answered, until the service has been started {@code cycles}
 * times and {@code connections} connections were made: some bursts reach the old process before it
 * decides, some while it decides, some after it exited and wait for the next one. Every connection
 * must be answered.
 */
final class DeadlineRace {
    /** One connection: connects, asks, and returns the pid of the process that answered. */
    @FunctionalInterface
    interface Client {
        long ask() throws Exception;
    }

    /** A connection that waits this long has been noticed; what it waits for is recorded then. */
    private static final long SLOW_SECONDS = 8;
    /**
     * How long a client waits for its answer before the connection counts as lost. Not a speed
     * limit: a hang detector. On this shared machine a connection that arrives as the old process
     * exits waits for that exit and the next JVM's start, which took over 20 s under a load of 25.
     */
    static final Duration ANSWER_LIMIT = Duration.ofSeconds(120);

    private final long timeoutMillis;
    private final int cycles;
    private final int connections;
    private final int burst;
    private final Supplier<String> snapshot;

    /**
     * @param timeoutMillis the service's idle timeout
     * @param snapshot what systemd, the kernel and the service show, for a connection left waiting
     */
    /**
     * What systemd, the kernel and the service's process show while a connection waits: the evidence
     * for a lost one. Timestamps are CLOCK_MONOTONIC microseconds, as the client's.
     */
    static String snapshot(SystemdUserManager systemd, String name, int port, Path logs) {
        StringBuilder snapshot = new StringBuilder();
        snapshot.append(run("sh", "-c", "cat /proc/loadavg; head -1 /proc/pressure/cpu"));
        snapshot.append(systemd.systemctl("show", "--property=ActiveState,SubState,MainPID,ExecMainStartTimestampMonotonic,"
                + "ExecMainExitTimestampMonotonic,InactiveEnterTimestampMonotonic,InactiveExitTimestampMonotonic,"
                + "ActiveEnterTimestampMonotonic,ActiveExitTimestampMonotonic,Result,Job", name + ".service").stdout());
        snapshot.append(systemd.systemctl("show", "--property=ActiveState,SubState,StateChangeTimestampMonotonic,NRefused,Result",
                name + ".socket").stdout());
        snapshot.append(run("ss", "-ltnH", "sport = :" + port));
        String mainPid = systemd.systemctl("show", "--property=MainPID", "--value", name + ".service").stdout().strip();
        if (!mainPid.equals("0") && !mainPid.isEmpty()) {
            Path proc = Path.of("/proc", mainPid);
            snapshot.append(run("sh", "-c", "for t in " + proc + "/task/*; do echo \"$(cat $t/comm): $(cut -d' ' -f3 $t/stat)"
                    + " $(cat $t/wchan)\"; done"));
            // Per thread: nanoseconds on a CPU, nanoseconds runnable but waiting for one (schedstat).
            long ran = 0;
            long waited = 0;
            try (var tasks = Files.list(proc.resolve("task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        String[] times = Files.readString(task.resolve("schedstat")).trim().split(" ");
                        ran += Long.parseLong(times[0]);
                        waited += Long.parseLong(times[1]);
                    } catch (IOException ended) {
                        // The thread ended meanwhile.
                    }
                }
                snapshot.append("its threads ran ").append(ran / 1_000_000).append(" ms and waited ").append(waited / 1_000_000)
                        .append(" ms for a CPU\n");
            } catch (IOException e) {
                snapshot.append("no schedstat: ").append(e).append('\n');
            }
            // The JVM prints its threads to standard output, which is the journal.
            snapshot.append(run("kill", "-QUIT", mainPid));
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            snapshot.append(run("journalctl", "--directory=" + systemd.journalDirectory(), "--no-pager", "-o", "cat", "_PID=" + mainPid));
        }
        snapshot.append("the last two processes' logs:\n");
        try (var files = Files.list(logs)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .sorted(Comparator.comparing(DeadlineRace::modified)).skip(Math.max(0, count(logs) - 2)).toList()) {
                snapshot.append("== ").append(file.getFileName()).append('\n').append(Files.readString(file));
            }
        } catch (IOException e) {
            snapshot.append(e).append('\n');
        }
        return snapshot.toString();
    }

    private static long count(Path logs) throws IOException {
        try (var files = Files.list(logs)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).count();
        }
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            process.waitFor(10, TimeUnit.SECONDS);
            return "$ " + String.join(" ", command) + "\n" + output;
        } catch (IOException e) {
            return "$ " + String.join(" ", command) + ": " + e + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        }
    }

    DeadlineRace(long timeoutMillis, int cycles, int connections, int burst, Supplier<String> snapshot) {
        this.timeoutMillis = timeoutMillis;
        this.cycles = cycles;
        this.connections = connections;
        this.burst = burst;
        this.snapshot = snapshot;
    }

    /**
     * Runs the race; fails with the snapshot when a connection is not answered.
     *
     * @return the outcome, for the test's output: connections, processes, bursts by outcome
     */
    String run(Client client, Supplier<String> logs) throws Exception {
        Random random = new Random(7);
        ExecutorService clients = Executors.newFixedThreadPool(burst);
        Set<Long> processes = new LinkedHashSet<>();
        Map<String, Integer> burstsByOutcome = new TreeMap<>();
        int made = 0;
        int slow = 0;
        long lastAnswer = System.nanoTime();
        // Each burst is bounded by the answer limit; only the number of bursts is checked.
        int mostBursts = Math.max(cycles * 6, 2 * connections / burst);
        try {
            processes.add(client.ask());
            // Past the activations and connections asked for, bursts go on (to the same bound) until the race has been
            // met both ways: a burst the running process serves, and one a new process serves. Which one a burst meets
            // is timing, which nothing guarantees on a loaded machine, so not meeting both is said, not failed.
            for (int round = 0; processes.size() <= cycles || made < connections
                    || (!bothWays(burstsByOutcome) && round <= mostBursts); round++) {
                if (round > mostBursts) {
                    fail("only " + processes.size() + " activations in " + round + " bursts; " + burstsByOutcome);
                }
                // The watcher ends the process between the timeout and a quarter more after the last end.
                long delay = timeoutMillis - 80 + random.nextInt((int) (timeoutMillis / 4 + 160));
                long wait = delay - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastAnswer);
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                long sentMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
                List<Future<Long>> answers = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    int jitter = random.nextInt(25);
                    answers.add(clients.submit(() -> {
                        Thread.sleep(jitter);
                        return client.ask();
                    }));
                }
                long previous = processes.stream().reduce((a, b) -> b).orElseThrow();
                Set<Long> servedBy = new LinkedHashSet<>();
                String waitedFor = null;
                for (Future<Long> answer : answers) {
                    try {
                        Long pid;
                        try {
                            pid = answer.get(SLOW_SECONDS, TimeUnit.SECONDS);
                        } catch (TimeoutException late) {
                            slow++;
                            waitedFor = "burst " + round + " sent at " + sentMicros + " us (CLOCK_MONOTONIC), now "
                                    + TimeUnit.NANOSECONDS.toMicros(System.nanoTime()) + "\n" + snapshot.get();
                            System.out.println("deadline race: slow burst:\n" + waitedFor);
                            pid = answer.get(ANSWER_LIMIT.toSeconds() + 10, TimeUnit.SECONDS);
                            System.out.println("deadline race: burst " + round + " answered after "
                                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentMicros * 1_000) + " ms");
                        }
                        servedBy.add(pid);
                    } catch (ExecutionException e) {
                        fail("connection " + made + " (burst " + round + ", " + delay + " ms after the last answer)"
                                + " was not answered: " + e.getCause() + "\nwhile it waited:\n" + waitedFor
                                + "\nnow:\n" + snapshot.get() + "\n" + logs.get());
                    }
                    made++;
                }
                lastAnswer = System.nanoTime();
                processes.addAll(servedBy);
                String outcome = servedBy.equals(Set.of(previous)) ? "served by the running process"
                        : servedBy.contains(previous) ? "split between the old and a new process" : "served by a new process";
                burstsByOutcome.merge(outcome, 1, Integer::sum);
            }
        } finally {
            clients.shutdownNow();
        }
        return made + " connections, none lost, " + processes.size() + " processes, " + slow + " waited over "
                + SLOW_SECONDS + " s; " + burstsByOutcome + (bothWays(burstsByOutcome) ? ""
                        : " (this run never met the deadline both ways: the machine's timing decided every burst alike)");
    }

    private static boolean bothWays(Map<String, Integer> burstsByOutcome) {
        return burstsByOutcome.containsKey("served by the running process") && burstsByOutcome.containsKey("served by a new process");
    }
}
