package dev.beckon.planner.store;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The content-addressed store in a target's state directory: {@code store/HASH-NAME}. An entry is
 * copied under a temporary name and renamed into place, so it is either whole or absent, and never
 * copied twice. Units and launchers point into it, so every kept generation can run again as it was.
 */
public final class Store {
    private Store() {}

    /** Where a package with this content hash lives on a target. */
    public static Path packagePath(Path stateDirectory, String hash, Path source) {
        return stateDirectory.resolve("store").resolve(hash + "-" + source.getFileName());
    }

    /** The directory that belongs to one exact instance (launchers and the like). */
    public static Path instanceDirectory(Path stateDirectory, String instanceHash, String service) {
        return stateDirectory.resolve("store").resolve(instanceHash + "-" + service);
    }

    /**
     * Copies a package into the store unless it is already there.
     *
     * @return whether it was copied
     */
    public static boolean put(Path source, Path destination) throws IOException {
        if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.createDirectories(destination.getParent());
        Path temporary = destination.resolveSibling("." + destination.getFileName() + ".partial-" + ProcessHandle.current().pid());
        deleteTree(temporary);
        try {
            if (Files.isDirectory(source)) {
                copyTree(source, temporary);
            } else {
                Files.copy(source, temporary, StandardCopyOption.COPY_ATTRIBUTES);
            }
        } catch (IOException e) {
            // A copy that fails half-way leaves nothing behind.
            try {
                deleteTree(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        try {
            Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(temporary);
            if (Files.exists(destination)) {
                return false; // another deployer put the same content there first
            }
            throw e;
        }
        return true;
    }

    private static void copyTree(Path source, Path destination) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                Files.createDirectories(destination.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, destination.resolve(source.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
