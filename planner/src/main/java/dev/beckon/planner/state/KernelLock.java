package dev.beckon.planner.state;

import dev.beckon.activation.SafeDirectories;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one mechanism by which beckon keeps other writers out, across threads and processes: a kernel lock on a
 * file ({@link FileChannel#lock}), which the kernel releases when its holder dies, so it can never be stale.
 * Threads of one process first queue on an in-process lock per file, because the JVM refuses a second overlapping
 * file lock of its own ({@link java.nio.channels.OverlappingFileLockException}).
 *
 * <p>The profile repository's lock ({@link ProfileLock}) is one, held while its refs move; a deployment's claim on
 * a target or profile ({@link DeploymentLock}) is a record that outlives its holder on purpose, read and replaced
 * only under one. The modules' own locks ({@code lock}/{@code unlock} of an instance) are Dysnomia's, not beckon's.
 *
 * <p>The file is opened without following a symlink, in a directory that must be safe to write (see
 * {@link SafeDirectories}).
 */
public final class KernelLock implements AutoCloseable {
    private static final ConcurrentMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final long POLL_MILLIS = 10;

    private final ReentrantLock inProcess;
    private final FileChannel channel;
    private final FileLock lock;

    private KernelLock(ReentrantLock inProcess, FileChannel channel, FileLock lock) {
        this.inProcess = inProcess;
        this.channel = channel;
        this.lock = lock;
    }

    /** Another holder kept the lock for longer than the caller would wait. */
    public static final class TimedOutException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean inThisProcess;
        private final transient FileChannel heldFile;

        TimedOutException(boolean inThisProcess, FileChannel heldFile) {
            super(inThisProcess ? "another thread of this process holds it" : "another process holds it");
            this.inThisProcess = inThisProcess;
            this.heldFile = heldFile;
        }

        /** Whether the holder is another thread of this process rather than another process. */
        public boolean inThisProcess() {
            return inThisProcess;
        }

        /** The lock file, still open, for reading the note a holder may have left in it; empty for a thread of ours. */
        public Optional<FileChannel> heldFile() {
            return Optional.ofNullable(heldFile);
        }
    }

    /**
     * Takes the lock on {@code file}, creating the file when it is missing.
     *
     * @param patience how long to wait for another holder; empty: as long as it takes
     * @throws TimedOutException   when another holder kept it past {@code patience}; the caller must close
     *                             {@link TimedOutException#heldFile} when it is there
     * @throws InterruptedException when interrupted while waiting
     * @throws IOException         when the file cannot be opened or locked, or its directory is not safe
     */
    public static KernelLock acquire(Path file, Optional<Duration> patience) throws IOException, InterruptedException, TimedOutException {
        ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(file.toAbsolutePath().normalize(), key -> new ReentrantLock());
        Optional<Instant> deadline = patience.map(Instant.now()::plus);
        if (patience.isEmpty()) {
            inProcess.lockInterruptibly();
        } else if (!inProcess.tryLock(patience.get().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimedOutException(true, null);
        }
        FileChannel channel = null;
        try {
            SafeDirectories.verify(file.getParent());
            channel = SafeDirectories.openNoFollow(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            if (deadline.isEmpty()) {
                lock = channel.lock();
            } else {
                while ((lock = channel.tryLock()) == null) {
                    if (Instant.now().isAfter(deadline.get())) {
                        inProcess.unlock();
                        FileChannel held = channel;
                        channel = null;
                        throw new TimedOutException(false, held);
                    }
                    Thread.sleep(POLL_MILLIS);
                }
            }
            return new KernelLock(inProcess, channel, lock);
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeQuietly(channel);
            inProcess.unlock();
            throw e;
        }
    }

    /** The locked file, open for reading and writing, for a note about its holder. */
    public FileChannel file() {
        return channel;
    }

    /** Releases the file lock, then the in-process one. */
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

    static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing releases the file lock too; there is nothing left to undo.
            }
        }
    }
}
