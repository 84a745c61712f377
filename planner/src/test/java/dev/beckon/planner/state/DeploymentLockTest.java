package dev.beckon.planner.state;

import dev.beckon.planner.plan.PlanningException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeploymentLockTest {
    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private DeploymentLock take(Path file) throws PlanningException {
        return DeploymentLock.acquire(file, "target web", "default", "deploy", warnings::add);
    }

    private static String host() throws Exception {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    }

    /** The pid of a process that has just exited: no process has it for a while. */
    private static long goneProcess() throws Exception {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }

    @Test
    void namesItsHolderAndRefusesASecondTaker() throws Exception {
        Path file = dir.resolve("state/lock");
        try (DeploymentLock held = take(file)) {
            String note = Files.readString(file);
            assertTrue(note.startsWith("user=" + System.getProperty("user.name") + " host=" + host() + " pid="
                    + ProcessHandle.current().pid() + " started="), note);
            PlanningException refused = assertThrows(PlanningException.class, () -> take(file));
            assertTrue(refused.getMessage().startsWith("target web is locked by beckon deploy by " + System.getProperty("user.name")
                    + "@" + host() + " (pid " + ProcessHandle.current().pid() + ", profile default) since "), refused.getMessage());
            assertTrue(refused.getMessage().contains("`beckon unlock --force` breaks the lock (" + file + ")"), refused.getMessage());
        }
        assertFalse(Files.exists(file));
        assertTrue(warnings.isEmpty());
    }

    @Test
    void aLockWhoseHolderIsGoneIsTakenOverWithAWarning() throws Exception {
        Path file = dir.resolve("lock");
        long gone = goneProcess();
        Files.writeString(file, "user=alice host=" + host() + " pid=" + gone + " started=2026-01-01T00:00:00Z profile=default"
                + " command=rollback since=2026-01-01T00:00:01Z\n");
        try (DeploymentLock taken = take(file)) {
            assertEquals(List.of("warning: target web was locked by beckon rollback by alice@" + host() + " (pid " + gone
                    + ", profile default) since 2026-01-01T00:00:01Z, which is gone; taking the stale lock over"), warnings);
            assertTrue(Files.readString(file).contains(" pid=" + ProcessHandle.current().pid() + " "));
        }
    }

    @Test
    void aPidReusedByAnotherProcessDoesNotKeepALockAlive() throws Exception {
        Path file = dir.resolve("lock");
        // This very process, but started at another time: the holder died and its pid was given to us.
        Files.writeString(file, "user=alice host=" + host() + " pid=" + ProcessHandle.current().pid()
                + " started=2001-01-01T00:00:00Z profile=default command=deploy since=2001-01-01T00:00:01Z\n");
        take(file).close();
        assertEquals(1, warnings.size(), warnings.toString());
    }

    @Test
    void aLockTakenOnAnotherHostIsNeverTakenOver() throws Exception {
        Path file = dir.resolve("lock");
        String note = "user=bob host=elsewhere.example pid=1 started=- profile=default command=deploy since=2026-01-01T00:00:00Z\n";
        Files.writeString(file, note);
        PlanningException refused = assertThrows(PlanningException.class, () -> take(file));
        assertTrue(refused.getMessage().contains("by bob@elsewhere.example (pid 1, profile default)")
                && refused.getMessage().contains("it was taken on another host"), refused.getMessage());
        assertEquals(note, Files.readString(file));
        assertEquals(Optional.of(note.strip()), DeploymentLock.breakLock(file));
        assertFalse(Files.exists(file));
    }

    @Test
    void aDamagedLockFileIsReportedWithWhatToDo() throws Exception {
        Path file = dir.resolve("lock");
        Files.writeString(file, "garbage\u001b[31m\n");
        PlanningException refused = assertThrows(PlanningException.class, () -> take(file));
        assertEquals("the lock file " + file + " is not one beckon wrote (\"garbage\\u001b[31m\"): if no beckon runs on it, "
                + "remove it with `beckon unlock --force`", refused.getMessage());
    }

    @Test
    void aStateDirectoryThatCannotBeCreatedIsNamed() {
        PlanningException refused = assertThrows(PlanningException.class, () -> take(Path.of("/dev/null/state/lock")));
        assertTrue(refused.getMessage().startsWith("target web: cannot create /dev/null/state for its lock: "), refused.getMessage());
    }

    @Test
    void aBrokenLockIsNotRemovedByItsFormerHolder() throws Exception {
        Path file = dir.resolve("lock");
        DeploymentLock first = take(file);
        DeploymentLock.breakLock(file);
        try (DeploymentLock second = take(file)) {
            first.close();
            assertTrue(Files.exists(file), "the first holder's release must not remove the second holder's lock");
        }
    }

    @Test
    void ofManyThreadsRacingForAStaleLockExactlyOneWins() throws Exception {
        Path file = dir.resolve("lock");
        Files.writeString(file, "user=alice host=" + host() + " pid=" + goneProcess() + " started=- profile=default command=deploy"
                + " since=" + Instant.now() + "\n");
        int contenders = 8;
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Optional<DeploymentLock>>> results = new ArrayList<>();
        for (int i = 0; i < contenders; i++) {
            results.add(pool.submit(() -> {
                start.await();
                try {
                    return Optional.of(DeploymentLock.acquire(file, "target web", "default", "deploy", w -> {}));
                } catch (DeploymentLock.LockedException e) {
                    return Optional.empty();
                }
            }));
        }
        start.countDown();
        int winners = 0;
        for (Future<Optional<DeploymentLock>> result : results) {
            winners += result.get(30, TimeUnit.SECONDS).isPresent() ? 1 : 0;
        }
        pool.shutdown();
        assertEquals(1, winners);
    }
}
