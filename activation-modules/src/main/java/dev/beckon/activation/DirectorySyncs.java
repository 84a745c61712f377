package dev.beckon.activation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The directory fsyncs of a batch of {@link AtomicFiles} writes, taken once per directory when the batch ends
 * instead of once per file: installing 200 services wrote 400 unit files into one directory and synced it 400
 * times. Each file is still replaced atomically (written, synced, renamed); what waits is only the durability of
 * the renames, and the batch's owner syncs before it reports the batch done.
 */
public final class DirectorySyncs {
    private final Set<Path> pending = new LinkedHashSet<>();
    /** The directories this batch checked ({@link SafeDirectories#ensureForAtomicWrites}) before its first write into them. */
    private final Set<Path> checked = new java.util.HashSet<>();

    /** Replaces {@code file} as {@link AtomicFiles#write(Path, String, Set)} does, its directory synced by {@link #syncAll}. */
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

    void add(Path directory) {
        pending.add(directory);
    }

    /** The directories written into and not yet synced. */
    public Set<Path> pending() {
        return Set.copyOf(pending);
    }

    /** Syncs every directory written into since the last call, once each. */
    public void syncAll() throws IOException {
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
}
