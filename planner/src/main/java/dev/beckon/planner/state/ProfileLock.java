package dev.beckon.planner.state;

import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.generations.GenerationsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Serialises every access to one profile repository, across threads and processes.
 *
 * <p>JGit's ref locks would turn a race between two writers into a failed compare-and-swap, but not into two
 * distinct generation numbers: both would read the same highest number. Holding this lock from reading the
 * highest number to moving the refs makes numbering a plain sequence.
 *
 * <p>It is a {@link KernelLock}, so a killed deployer never leaves it stuck; the holder writes a note into the
 * file so that a waiter who gives up can say who held it.
 */
public final class ProfileLock {
    static final String FILE_NAME = "beckon.lock";

    private final Path file;
    private final Duration patience;

    /**
     * @param directory the profile repository, as a real path so that every alias of it shares one lock
     * @param patience  how long to wait for another holder before giving up
     */
    public ProfileLock(Path directory, Duration patience) {
        this.file = directory.resolve(FILE_NAME);
        this.patience = patience;
    }

    /** Waits for the lock; the returned handle releases it. */
    public Held acquire(String purpose) {
        KernelLock lock = null;
        try {
            SafeDirectories.ensure(file.getParent());
            lock = KernelLock.acquire(file, Optional.of(patience));
            recordHolder(lock.file(), purpose);
            return new Held(lock);
        } catch (KernelLock.TimedOutException e) {
            String holder = e.heldFile().map(ProfileLock::describeHolder).orElse("");
            e.heldFile().ifPresent(KernelLock::closeQuietly);
            throw new GenerationsException(file.getParent(), (e.inThisProcess() ? "another thread of this process" : "another process")
                    + " has held " + file + " for more than " + patience.toSeconds() + " s" + (holder.isEmpty() ? "" : " (" + holder + ")"));
        } catch (SafeDirectories.UnsafePathException e) {
            throw new GenerationsException(file.getParent(), e.getMessage(), e);
        } catch (IOException e) {
            if (lock != null) {
                lock.close();
            }
            throw new GenerationsException(file.getParent(), "cannot lock " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationsException(file.getParent(), "interrupted while waiting for " + file, e);
        }
    }

    /** The holder's note only helps an operator find a stuck process; the lock itself is the kernel's. */
    private static void recordHolder(FileChannel channel, String purpose) throws IOException {
        String holder = "pid=" + ProcessHandle.current().pid() + " user=" + System.getProperty("user.name") + " since=" + Instant.now()
                + " doing=" + purpose + "\n";
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
    }

    private static String describeHolder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(512);
            channel.read(buffer, 0);
            String note = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
            return note.isEmpty() ? "its holder left no note" : "held by " + note;
        } catch (IOException e) {
            return "its note is unreadable: " + e.getMessage();
        }
    }

    /** A held lock; closing it releases it. */
    public static final class Held implements AutoCloseable {
        private final KernelLock lock;

        private Held(KernelLock lock) {
            this.lock = lock;
        }

        @Override
        public void close() {
            lock.close();
        }
    }
}
