package dev.beckon.planner.state;

import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.generations.GenerationsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises every access to one profile repository, across threads and processes.
 *
 * <p>JGit's ref locks would turn a race between two writers into a failed compare-and-swap, but not into two
 * distinct generation numbers: both would read the same highest number. Holding this lock from reading the
 * highest number to moving the refs makes numbering a plain sequence.
 *
 * <p>An OS file lock ({@link FileChannel#lock}) covers other processes and is released by the kernel when its
 * holder dies, so a killed deployer never leaves it stuck. The JVM refuses a second overlapping file lock in the
 * same process ({@link java.nio.channels.OverlappingFileLockException}), so threads first queue on an in-process
 * lock per directory.
 */
public final class ProfileLock {
    static final String FILE_NAME = "beckon.lock";

    private static final ConcurrentMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final long POLL_MILLIS = 10;

    private final Path file;
    private final ReentrantLock inProcess;
    private final Duration patience;

    /**
     * @param directory the profile repository, as a real path so that every alias of it shares one lock
     * @param patience  how long to wait for another holder before giving up
     */
    public ProfileLock(Path directory, Duration patience) {
        this.file = directory.resolve(FILE_NAME);
        this.inProcess = IN_PROCESS.computeIfAbsent(directory, key -> new ReentrantLock());
        this.patience = patience;
    }

    /** Waits for the lock; the returned handle releases it. */
    public Held acquire(String purpose) {
        Instant deadline = Instant.now().plus(patience);
        try {
            if (!inProcess.tryLock(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new GenerationsException(file.getParent(),
                        "another thread of this process has held " + file + " for more than " + patience.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationsException(file.getParent(), "interrupted while waiting for " + file, e);
        }
        FileChannel channel = null;
        try {
            SafeDirectories.ensure(file.getParent());
            channel = SafeDirectories.openNoFollow(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            while ((lock = channel.tryLock()) == null) {
                if (Instant.now().isAfter(deadline)) {
                    throw new GenerationsException(file.getParent(), "another process has held " + file + " for more than "
                            + patience.toSeconds() + " s (" + describeHolder(channel) + ")");
                }
                Thread.sleep(POLL_MILLIS);
            }
            recordHolder(channel, purpose);
            return new Held(channel, lock);
        } catch (SafeDirectories.UnsafePathException e) {
            closeQuietly(channel);
            inProcess.unlock();
            throw new GenerationsException(file.getParent(), e.getMessage(), e);
        } catch (IOException e) {
            closeQuietly(channel);
            inProcess.unlock();
            throw new GenerationsException(file.getParent(), "cannot lock " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeQuietly(channel);
            inProcess.unlock();
            Thread.currentThread().interrupt();
            throw new GenerationsException(file.getParent(), "interrupted while waiting for " + file, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            inProcess.unlock();
            throw e;
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

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing releases the file lock too; there is nothing left to undo.
            }
        }
    }

    /** A held lock; closing it releases the file lock, then the in-process one. */
    public final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException ignored) {
                // Closing the channel below releases it anyway.
            } finally {
                closeQuietly(channel);
                inProcess.unlock();
            }
        }
    }
}
