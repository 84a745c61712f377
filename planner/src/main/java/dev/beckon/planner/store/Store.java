package dev.beckon.planner.store;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.models.PackageFileKinds;
import dev.beckon.planner.manifest.InodeStamp;
import dev.beckon.planner.manifest.PackageDigest;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The content-addressed store in a target's state directory: {@code store/HASH-NAME}. An entry is
 * copied under a temporary name and renamed into place, so it is either whole or absent, and never
 * copied twice. Units and launchers point into it, so every kept generation can run again as it was.
 *
 * <p>A package's entry cannot be changed in place: its files are read-only (0444, or 0555 when executable),
 * its directories too (0555), owned by the user beckon runs as, and only regular files, directories and
 * symbolic links are copied. Once it is in place, its content hash is written beside it as
 * {@code store/.HASH-NAME.sha256}, last; an entry without that record, or whose content no longer hashes to
 * its name, is damaged ({@link #damage}), and {@link #put} copies it again from the source.
 *
 * <p>Once an entry's content has been read and found whole, {@code store/.HASH-NAME.inodes} records what its
 * inodes said ({@link InodeStamp}); while they say the same, the entry is whole without being read again. Only
 * {@code beckon verify} ({@link #damageReadingEveryByte}) reads every byte each time, for what no inode shows (a
 * disk's decay).
 */
public final class Store {
    /** A package entry's file: r--r--r--. */
    static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
    /** A package entry's executable file or directory: r-xr-xr-x. */
    static final Set<PosixFilePermission> READ_ONLY_EXECUTABLE = PosixFilePermissions.fromString("r-xr-xr-x");
    private static final Pattern PACKAGE_NAME = Pattern.compile("([0-9a-f]{64})-.+", Pattern.DOTALL);
    private static final String RECORD_SUFFIX = ".sha256";
    private static final String STAMP_SUFFIX = ".inodes";

    private Store() {}

    /** What {@link #put} did. */
    public enum Placed {
        /** The entry was there and whole. */
        PRESENT,
        /** The entry was not there and is now. */
        COPIED,
        /** The entry was there but damaged, and is now copied anew. */
        REPAIRED
    }

    /** Where a package with this content hash lives on a target. */
    public static Path packagePath(Path stateDirectory, String hash, Path source) {
        return stateDirectory.resolve("store").resolve(hash + "-" + source.getFileName());
    }

    /** The directory that belongs to one exact instance (launchers and the like). */
    public static Path instanceDirectory(Path stateDirectory, String instanceHash, String service) {
        return stateDirectory.resolve("store").resolve(instanceHash + "-" + service);
    }

    /** The record of a package entry's content hash: {@code store/.HASH-NAME.sha256}. */
    static Path record(Path entry) {
        return entry.resolveSibling("." + entry.getFileName() + RECORD_SUFFIX);
    }

    /** The record of what a package entry's inodes said when its content was last found whole: {@code store/.HASH-NAME.inodes}. */
    static Path stamp(Path entry) {
        return entry.resolveSibling("." + entry.getFileName() + STAMP_SUFFIX);
    }

    /**
     * Copies a package into the store unless it is there and whole; a damaged entry is replaced.
     *
     * @throws IOException when the source holds what no package may (a FIFO, a device) or cannot be read, or
     *                     the store's directory is not safe to write (see {@link SafeDirectories})
     */
    public static Placed put(Path source, Path destination) throws IOException {
        SafeDirectories.ensure(destination.getParent());
        boolean present = Files.exists(destination, LinkOption.NOFOLLOW_LINKS);
        if (present && damage(destination).isEmpty()) {
            return Placed.PRESENT;
        }
        Optional<String> unstorable = PackageFileKinds.firstUnstorable(source);
        if (unstorable.isPresent()) {
            throw new IOException(unstorable.get());
        }
        Path temporary = destination.resolveSibling("." + destination.getFileName() + ".partial-" + ProcessHandle.current().pid());
        deleteTree(temporary);
        try {
            copyTree(source.toRealPath(), temporary);
        } catch (IOException e) {
            // A copy that fails half-way leaves nothing behind.
            try {
                deleteTree(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        if (present) {
            removeEntry(destination);
        }
        try {
            Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(temporary);
            if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
                return Placed.PRESENT; // another deployer put the same content there first
            }
            throw e;
        }
        writeRecord(destination);
        return present ? Placed.REPAIRED : Placed.COPIED;
    }

    /**
     * Makes an entry copied by other means (tar over SSH) read-only and records its hash, once its content hashes
     * to its name.
     *
     * @throws IOException when it does not: then the entry is removed, so that the next deployment copies it again
     */
    public static void seal(Path entry) throws IOException {
        Optional<String> unstorable = PackageFileKinds.firstUnstorable(entry);
        if (unstorable.isPresent()) {
            removeEntry(entry);
            throw new IOException(unstorable.get());
        }
        makeReadOnly(entry);
        String expected = expectedHash(entry);
        long began = System.currentTimeMillis();
        String actual = PackageDigest.of(entry);
        if (!actual.equals(expected)) {
            removeEntry(entry);
            throw new IOException("the copy " + entry + " hashes to " + actual + ", not to its name; removed it, deploy again");
        }
        writeRecord(entry);
        InodeStamp.recordAfterCheck(stamp(entry), entry, began);
    }

    /**
     * What is wrong with a package entry: missing, no record of its hash (its copying was cut short), a file made
     * writable, or content that no longer hashes to its name (a truncated or edited file). Empty when it is whole.
     * It reads every byte unless the entry's inodes are what they were when it was last read and found whole; it
     * never opens anything but regular files.
     */
    public static Optional<String> damage(Path entry) throws IOException {
        return damage(entry, true);
    }

    /** As {@link #damage}, reading every byte whatever the inodes say: {@code beckon verify}'s check. */
    public static Optional<String> damageReadingEveryByte(Path entry) throws IOException {
        return damage(entry, false);
    }

    private static Optional<String> damage(Path entry, boolean trustStamp) throws IOException {
        if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of("is missing from the store");
        }
        String expected = expectedHash(entry);
        Optional<String> recorded = AtomicFiles.read(record(entry)).map(String::strip);
        if (recorded.isEmpty()) {
            return Optional.of("has no record of its content hash (" + record(entry).getFileName() + "); its copying was cut short");
        }
        if (!recorded.get().equals(expected)) {
            return Optional.of("has a content record (" + record(entry).getFileName() + ") that does not match its name");
        }
        // The stamp covers every path's kind and mode too, so an entry it vouches for holds nothing unstorable or writable.
        if (trustStamp && InodeStamp.holds(stamp(entry), entry)) {
            return Optional.empty();
        }
        long began = System.currentTimeMillis();
        Optional<String> damage = damageOfContent(entry, expected);
        if (damage.isEmpty()) {
            InodeStamp.recordAfterCheck(stamp(entry), entry, began);
        } else {
            InodeStamp.forget(stamp(entry));
        }
        return damage;
    }

    private static Optional<String> damageOfContent(Path entry, String expected) throws IOException {
        Optional<String> unstorable = PackageFileKinds.firstUnstorable(entry);
        if (unstorable.isPresent()) {
            return unstorable;
        }
        Optional<String> writable = firstWritable(entry);
        if (writable.isPresent()) {
            return Optional.of("has " + writable.get() + " writable, which beckon made read-only");
        }
        String actual;
        try {
            actual = PackageDigest.of(entry);
        } catch (java.nio.file.AccessDeniedException e) {
            return Optional.of("cannot be read whole (" + e.getMessage() + ")");
        }
        if (!actual.equals(expected)) {
            return Optional.of("was changed after it was copied: its content hashes to " + actual.substring(0, 12) + "…, its name says "
                    + expected.substring(0, 12) + "…");
        }
        return Optional.empty();
    }

    private static String expectedHash(Path entry) throws IOException {
        Matcher name = PACKAGE_NAME.matcher(entry.getFileName().toString());
        if (!name.matches()) {
            throw new IOException(entry + " is not the name of a package in a store (HASH-NAME)");
        }
        return name.group(1);
    }

    private static void writeRecord(Path entry) throws IOException {
        AtomicFiles.write(record(entry), expectedHash(entry) + "\n", READ_ONLY);
    }

    /** Copies regular files, directories and links as they are (never following a link), all read-only. */
    private static void copyTree(Path source, Path destination) throws IOException {
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            copyFile(source, destination);
            return;
        }
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                Path copy = destination.resolve(source.relativize(dir).toString());
                Files.createDirectory(copy);
                Files.setPosixFilePermissions(copy, SafeDirectories.MODE);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Path copy = destination.resolve(source.relativize(file).toString());
                if (attributes.isSymbolicLink()) {
                    Files.createSymbolicLink(copy, Files.readSymbolicLink(file));
                } else {
                    copyFile(file, copy);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.setPosixFilePermissions(destination.resolve(source.relativize(dir).toString()), READ_ONLY_EXECUTABLE);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Only the bytes and whether it is executable: never the source's owner or its other mode bits. */
    private static void copyFile(Path file, Path copy) throws IOException {
        Optional<String> unstorable = PackageFileKinds.describe(file, file);
        if (unstorable.isPresent()) {
            throw new IOException(unstorable.get());
        }
        boolean executable = Files.isExecutable(file);
        Files.copy(file, copy, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(copy, executable ? READ_ONLY_EXECUTABLE : READ_ONLY);
    }

    private static void makeReadOnly(Path entry) throws IOException {
        Files.walkFileTree(entry, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isRegularFile()) {
                    Files.setPosixFilePermissions(file, Files.isExecutable(file) ? READ_ONLY_EXECUTABLE : READ_ONLY);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.setPosixFilePermissions(dir, READ_ONLY_EXECUTABLE);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static Optional<String> firstWritable(Path entry) throws IOException {
        String[] found = {null};
        Files.walkFileTree(entry, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                return check(dir);
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                return attributes.isSymbolicLink() ? FileVisitResult.CONTINUE : check(file);
            }

            private FileVisitResult check(Path path) throws IOException {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
                if (permissions.contains(PosixFilePermission.OWNER_WRITE) || permissions.contains(PosixFilePermission.GROUP_WRITE)
                        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
                    found[0] = path.equals(entry) ? "itself" : entry.relativize(path).toString();
                    return FileVisitResult.TERMINATE;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return Optional.ofNullable(found[0]);
    }

    /** Removes a store entry: its record first, so that an entry half removed is never taken for whole. */
    public static void removeEntry(Path entry) throws IOException {
        AtomicFiles.delete(record(entry));
        AtomicFiles.delete(stamp(entry));
        deleteTree(entry);
    }

    /**
     * Deletes a file or a whole tree, never following a link. Read-only directories (the store's) are made
     * writable by their owner first, since removing what a directory holds needs write permission on it.
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
                if (!permissions.contains(PosixFilePermission.OWNER_WRITE)) {
                    permissions.add(PosixFilePermission.OWNER_WRITE);
                    Files.setPosixFilePermissions(dir, permissions);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null && !(failure instanceof NoSuchFileException)) {
                    throw failure;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
