package dev.beckon.activation;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A batch of {@link AtomicFiles} writes, made durable together when the batch ends instead of file by file:
 * installing 200 services wrote 400 unit files into one directory, and synced each file and then the directory,
 * 800 syncs one after another. Each file's new content is written beside it as the batch goes; {@link #syncAll}
 * syncs those several at once (the file system commits concurrent syncs together), renames each over its file in
 * the order written, so every file is still replaced whole or not at all, and syncs each directory once. Until
 * then the files keep their old content: the batch's owner ends the batch before anything reads them.
 */
public final class DirectorySyncs {
    /** How many files are synced at once: enough for the file system to commit them together. */
    private static final int CONCURRENT_SYNCS = 8;

    private final Set<Path> pending = new LinkedHashSet<>();
    /** New contents written beside their files, in the order written. */
    private final List<Staged> staged = new ArrayList<>();
    /** The directories this batch checked ({@link SafeDirectories#ensureForAtomicWrites}) before its first write into them. */
    private final Set<Path> checked = new java.util.HashSet<>();

    private record Staged(Path temporary, Path file) {}

    /** Replaces {@code file} as {@link AtomicFiles#write(Path, String, Set)} does, once {@link #syncAll} runs. */
    public boolean write(Path file, String content, Set<java.nio.file.attribute.PosixFilePermission> permissions)
            throws IOException {
        return AtomicFiles.write(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8), permissions, this);
    }

    /** Whether this batch found {@code directory} safe to write into before. */
    boolean checked(Path directory) {
        return checked.contains(directory);
    }

    /** This batch found {@code directory} safe to write into. */
    void checkedNow(Path directory) {
        checked.add(directory);
    }

    /** {@code temporary} holds {@code file}'s new content, not yet synced. */
    void stage(Path temporary, Path file, Path directory) {
        staged.add(new Staged(temporary, file));
        pending.add(directory);
    }

    /** The directories written into and not yet synced. */
    public Set<Path> pending() {
        return Set.copyOf(pending);
    }

    /**
     * Syncs every new content written since the last call, renames each into place and syncs each directory once.
     * When one cannot be synced or renamed, those not yet renamed are removed (their files keep the old content).
     */
    public void syncAll() throws IOException {
        List<Staged> batch = List.copyOf(staged);
        staged.clear();
        int renamed = 0;
        try {
            syncContents(batch);
            for (Staged one : batch) {
                AtomicFiles.replace(one.temporary(), one.file());
                renamed++;
            }
        } catch (IOException | RuntimeException e) {
            for (Staged left : batch.subList(renamed, batch.size())) {
                try {
                    Files.deleteIfExists(left.temporary());
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            pending.clear();
            throw e;
        }
        IOException first = null;
        for (Path directory : pending) {
            try {
                AtomicFiles.syncDirectory(directory);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        pending.clear();
        if (first != null) {
            throw first;
        }
    }

    private static void syncContents(List<Staged> batch) throws IOException {
        if (batch.size() <= 1) {
            for (Staged one : batch) {
                sync(one.temporary());
            }
            return;
        }
        ExecutorService syncing = Executors.newFixedThreadPool(Math.min(CONCURRENT_SYNCS, batch.size()), runnable -> {
            Thread thread = new Thread(runnable, "beckon-sync");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> syncs = new ArrayList<>();
            for (Staged one : batch) {
                syncs.add(syncing.submit(() -> {
                    sync(one.temporary());
                    return null;
                }));
            }
            for (Future<?> sync : syncs) {
                sync.get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot sync a new file: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing new files", e);
        } finally {
            syncing.shutdownNow();
        }
    }

    private static void sync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
