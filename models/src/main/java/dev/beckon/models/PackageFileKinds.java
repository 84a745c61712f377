package dev.beckon.models;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * What a package may hold: regular files, directories and symbolic links, nothing else. A FIFO or a device
 * would make hashing and copying block forever or read without end, and a socket cannot be copied; so every
 * stage that reads a package (validate, plan, the store) refuses them, by looking, never by opening.
 */
public final class PackageFileKinds {
    private static final int TYPE_MASK = 0170000;

    private PackageFileKinds() {}

    /**
     * The first file in the package that is not a regular file, directory or symbolic link, described as
     * {@code "/p/pkg/queue is a FIFO"}; empty when there is none. The package path itself is followed when it
     * is a link (the model names it); links inside are never followed.
     */
    public static Optional<String> firstUnstorable(Path root) throws IOException {
        Optional<String> top = describe(root, root.toRealPath());
        if (top.isPresent() || !Files.isDirectory(root)) {
            return top;
        }
        String[] found = {null};
        Files.walkFileTree(root.toRealPath(), new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isOther()) {
                    found[0] = describe(file, file).orElse(file + " is neither a file, a directory nor a symbolic link");
                    return FileVisitResult.TERMINATE;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return Optional.ofNullable(found[0]);
    }

    /** {@code "NAME is a FIFO"} when the file at {@code path} is no regular file, directory or link. */
    public static Optional<String> describe(Path name, Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        String kind = switch (mode & TYPE_MASK) {
            case 0100000, 0040000, 0120000 -> null;
            case 0010000 -> "a FIFO";
            case 0020000 -> "a character device";
            case 0060000 -> "a block device";
            case 0140000 -> "a socket";
            default -> "of an unknown kind";
        };
        return kind == null ? Optional.empty() : Optional.of(name + " is " + kind + ", which no package may hold (only files,"
                + " directories and symbolic links)");
    }
}
