package dev.beckon.activation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Writes files so that a crash at any moment leaves either the old file or the new one, never a part:
 * a temporary file in the same directory, fsync, rename over the target, fsync of the directory. The
 * directory is made and checked by {@link SafeDirectories}; the temporary file is created exclusively and
 * the rename replaces a link rather than following it, so nothing is ever written through a symbolic link.
 */
public final class AtomicFiles {
    /** rw-r--r--: unit files and configuration, which service managers read as another user. */
    public static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");
    /** rwxr-xr-x: launchers. */
    public static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");

    private AtomicFiles() {}

    /**
     * Replaces {@code file} with {@code content}, creating parent directories as needed.
     *
     * @return whether anything changed: false when the file already held exactly this content and mode
     */
    public static boolean write(Path file, String content, Set<PosixFilePermission> permissions) throws IOException {
        return write(file, content.getBytes(StandardCharsets.UTF_8), permissions);
    }

    /** Replaces {@code file} with {@code bytes}, as {@link #write(Path, String, Set)}. */
    public static boolean write(Path file, byte[] bytes, Set<PosixFilePermission> permissions) throws IOException {
        return write(file, bytes, permissions, null);
    }

    /**
     * As {@link #write(Path, byte[], Set)}; with a {@code batch}, the new content is only written beside the file, and
     * the batch syncs it, renames it into place and syncs the directory when it ends ({@link DirectorySyncs#syncAll}).
     */
    static boolean write(Path file, byte[] bytes, Set<PosixFilePermission> permissions, DirectorySyncs batch) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        // The directory first: nobody else may have planted what the comparison below reads. Once per batch: a chain
        // found closed to everyone else can only be changed by its owners, root and us, and the batch is ours.
        if (batch == null || !batch.checked(directory)) {
            SafeDirectories.ensureForAtomicWrites(directory);
            if (batch != null) {
                batch.checkedNow(directory);
            }
        }
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Arrays.equals(Files.readAllBytes(file), bytes)
                && Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(permissions)) {
            return false;
        }
        Path temporary = Files.createTempFile(directory, "." + file.getFileName() + ".", ".tmp");
        boolean staged = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (batch == null) {
                    channel.force(true);
                }
            }
            Files.setPosixFilePermissions(temporary, permissions);
            if (batch != null) {
                batch.stage(temporary, file, directory);
                staged = true;
                return true;
            }
            replace(temporary, file);
            syncDirectory(directory);
            return true;
        } finally {
            if (!staged) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    /** Renames a written and synced temporary file over {@code file}, a link there replaced, not followed. */
    static void replace(Path temporary, Path file) throws IOException {
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + file + " atomically: " + e.getMessage(), e);
        }
    }

    /** Deletes a file durably; returns whether it was there. */
    public static boolean delete(Path file) throws IOException {
        boolean existed = Files.deleteIfExists(file);
        if (existed) {
            syncDirectory(file.toAbsolutePath().getParent());
        }
        return existed;
    }

    /** The file's content, or empty when there is no such file. */
    public static Optional<String> read(Path file) throws IOException {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
