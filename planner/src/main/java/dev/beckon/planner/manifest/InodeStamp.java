package dev.beckon.planner.manifest;

import dev.beckon.activation.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the inodes of a file, or of a tree and everything in it, say: for each path, its kind, mode, size,
 * modification and change times, inode and device (and a link's target). git's index recognises unchanged files
 * the same way, and for the same reason: reading every byte of every package on every command is what a command
 * that changes nothing must not cost.
 *
 * <p>The change time (ctime) is what makes it trustworthy: no program can set it, every write, truncation,
 * rename over, chmod or new link moves it to the clock's present. So a stamp taken when every file's times lay
 * at least {@value #RACY_MILLIS} ms in the past (well beyond the tick of the file system's clock) changes with any
 * later change to the tree. Within that window a change could keep the times of the file it changed, so no
 * stamp is given for a tree with a file that recent: its content is read, and the next command stamps it.
 */
public final class InodeStamp {
    /** How recent a file's times may not be for its tree to get a stamp. */
    public static final long RACY_MILLIS = 2000;
    private static final Set<PosixFilePermission> READ_ONLY = java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--");

    private InodeStamp() {}

    /**
     * The stamp of {@code root} (a file, or a directory and everything in it, never following a link), or empty
     * when it is a link, a path in it vanished while looked at, or any file's times are at or after
     * {@code racyFromMillis}.
     */
    public static Optional<String> of(Path root, long racyFromMillis) throws IOException {
        if (Files.isSymbolicLink(root)) {
            return Optional.empty(); // What it names is read, and a link's own times say nothing of that.
        }
        MessageDigest digest = PackageDigest.sha256();
        List<Path> paths;
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> walk = Files.walk(root)) {
                paths = walk.sorted().toList();
            } catch (java.io.UncheckedIOException e) {
                if (e.getCause() instanceof NoSuchFileException) {
                    return Optional.empty();
                }
                throw e.getCause();
            }
        } else {
            paths = List.of(root);
        }
        for (Path path : paths) {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(path, "unix:mode,size,lastModifiedTime,ctime,ino,dev", LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            FileTime modified = (FileTime) a.get("lastModifiedTime");
            FileTime changed = (FileTime) a.get("ctime");
            if (modified.toMillis() >= racyFromMillis || changed.toMillis() >= racyFromMillis) {
                return Optional.empty();
            }
            PackageDigest.update(digest, root.relativize(path) + " " + a.get("mode") + " " + a.get("size") + " " + nanos(modified)
                    + " " + nanos(changed) + " " + a.get("ino") + " " + a.get("dev")
                    + (Files.isSymbolicLink(path) ? " -> " + Files.readSymbolicLink(path) : ""));
        }
        return Optional.of(HexFormat.of().formatHex(digest.digest()));
    }

    /**
     * Whether {@code record} holds the stamp {@code root} has now: then the tree is as it was when its content was
     * last found whole ({@link #recordAfterCheck}), and need not be read again. False when there is no record.
     */
    public static boolean holds(Path record, Path root) throws IOException {
        Optional<String> recorded = AtomicFiles.read(record).map(String::strip);
        if (recorded.isEmpty() || recorded.get().isEmpty()) {
            return false;
        }
        return recorded.equals(of(root, Long.MAX_VALUE));
    }

    /**
     * Records the stamp of {@code root}, whose content a check that began at {@code checkBeganMillis} has just read
     * and found whole. Nothing is recorded when a file changed within {@link #RACY_MILLIS} before that check, or while
     * it ran (its times are later): the content read might not be what the stamp would vouch for. A record that
     * cannot be written only means the next check reads the content again, so that is no failure.
     */
    public static void recordAfterCheck(Path record, Path root, long checkBeganMillis) {
        try {
            Optional<String> stamp = of(root, checkBeganMillis - RACY_MILLIS);
            if (stamp.isPresent()) {
                AtomicFiles.write(record, stamp.get() + "\n", READ_ONLY);
            } else {
                forget(record);
            }
        } catch (IOException | RuntimeException e) {
            forget(record);
        }
    }

    /** Removes a record, for content found damaged (or about to be replaced); best effort, as the record is a cache. */
    public static void forget(Path record) {
        try {
            AtomicFiles.delete(record);
        } catch (IOException | RuntimeException e) {
            // A record that cannot be removed cannot be trusted either: holds() compares it with the tree each time.
        }
    }

    private static long nanos(FileTime time) {
        java.time.Instant instant = time.toInstant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
