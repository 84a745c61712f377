package dev.beckon.planner.manifest;

import dev.beckon.models.PackageFileKinds;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * SHA-256 of a package: of its bytes for a file; for a directory, of every entry's relative path,
 * kind, executable bit and content, in sorted order, so equal trees hash equal wherever they are.
 */
public final class PackageDigest {
    private PackageDigest() {}

    public static String of(Path path) throws IOException {
        MessageDigest digest = sha256();
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> entries;
            try (Stream<Path> walk = Files.walk(path)) {
                entries = walk.sorted().toList();
            }
            for (Path entry : entries) {
                String relative = path.relativize(entry).toString();
                if (Files.isSymbolicLink(entry)) {
                    update(digest, "link " + relative + " -> " + Files.readSymbolicLink(entry));
                } else if (Files.isDirectory(entry)) {
                    update(digest, "dir " + relative);
                } else {
                    update(digest, "file " + relative + (Files.isExecutable(entry) ? " x " : " - ") + Files.size(entry));
                    feed(digest, entry);
                }
            }
        } else {
            feed(digest, path);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 of a text, hex. */
    public static String ofText(String text) {
        MessageDigest digest = sha256();
        update(digest, text);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void feed(MessageDigest digest, Path file) throws IOException {
        // Looked at before opening: opening a FIFO blocks, and a device reads without end.
        Path real = file.toRealPath();
        Optional<String> unstorable = PackageFileKinds.describe(file, real);
        if (unstorable.isPresent()) {
            throw new IOException(unstorable.get());
        }
        try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = in.read(buffer)) > 0) {
                digest.update(buffer, 0, read);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Feeds a text and a zero byte after it: no two lists of texts fed one by one feed the same bytes. */
    static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
