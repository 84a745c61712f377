package dev.beckon.planner.state;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one lock mechanism: what another process or thread holds keeps us out, and a dead holder never does. */
class KernelLockTest {
    @TempDir
    Path directory;

    @Test
    void anotherProcessKeepsItUntilItDiesAndThenTheKernelReleasesIt() throws Exception {
        Path file = directory.resolve("lock");
        // A POSIX record lock, the kind FileChannel.lock takes, held by a process that is not a JVM.
        Process holder = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
                + "f = open(sys.argv[1], 'a')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(600)\n",
                file.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertTrue("locked".equals(output.readLine()), "the holder took the lock");

            KernelLock.TimedOutException refused = assertThrows(KernelLock.TimedOutException.class,
                    () -> KernelLock.acquire(file, Optional.of(Duration.ofMillis(200))));
            assertFalse(refused.inThisProcess());
            refused.heldFile().ifPresent(KernelLock::closeQuietly);

            holder.destroyForcibly();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            try (KernelLock lock = KernelLock.acquire(file, Optional.of(Duration.ofSeconds(30)))) {
                assertTrue(lock.file().isOpen());
            }
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void anotherThreadOfThisProcessKeepsItUntilItLetsGo() throws Exception {
        Path file = directory.resolve("lock");
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
            try (KernelLock lock = KernelLock.acquire(file, Optional.empty())) {
                taken.countDown();
                release.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(taken.await(30, TimeUnit.SECONDS));
        KernelLock.TimedOutException refused = assertThrows(KernelLock.TimedOutException.class,
                () -> KernelLock.acquire(file, Optional.of(Duration.ofMillis(100))));
        assertTrue(refused.inThisProcess());

        release.countDown();
        holder.get(30, TimeUnit.SECONDS);
        try (KernelLock lock = KernelLock.acquire(file, Optional.of(Duration.ofSeconds(30)))) {
            assertTrue(lock.file().isOpen());
        }
    }

    @Test
    void aSymlinkInPlaceOfTheLockFileIsNotFollowed() throws IOException {
        Path elsewhere = Files.writeString(directory.resolve("elsewhere"), "not a lock");
        Path file = Files.createSymbolicLink(directory.resolve("lock"), elsewhere);
        assertThrows(IOException.class, () -> KernelLock.acquire(file, Optional.of(Duration.ofSeconds(1))));
        assertTrue(Files.readString(elsewhere).equals("not a lock"));
    }
}
