package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a secret's value on the deploying machine: exact bytes of a file, a command's output without its final newline;
 * every refusal one line at the declaration that holds no part of the value.
 */
class SecretSourcesTest {
    private static final String VALUE = "correct-horse-battery-staple";

    @TempDir
    Path dir;

    private Secret file(String name) {
        return new Secret("db", Optional.of(dir.resolve(name)), List.of(), dir, new SourceLocation(dir.resolve("services.toml"), 7, 1));
    }

    private Secret command(String... argv) {
        return new Secret("db", Optional.empty(), List.of(argv), dir, new SourceLocation(dir.resolve("services.toml"), 7, 1));
    }

    private Path privateFile(String name, byte[] content) throws Exception {
        Path file = Files.write(dir.resolve(name), content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private String refusal(Secret secret) {
        String message = assertThrows(SecretSources.SecretException.class, () -> SecretSources.read("web", secret)).getMessage();
        assertTrue(message.startsWith(dir.resolve("services.toml") + ":7:1: secret db of service web: "), message);
        assertFalse(message.contains("\n"), message);
        assertFalse(message.contains(VALUE), "no part of the value in: " + message);
        return message.substring(message.indexOf("service web: ") + "service web: ".length());
    }

    @Test
    void aFileIsReadExactlyAsItIs() throws Exception {
        privateFile("db", (VALUE + "\n").getBytes(StandardCharsets.UTF_8));
        assertArrayEquals((VALUE + "\n").getBytes(StandardCharsets.UTF_8), SecretSources.read("web", file("db")));
    }

    @Test
    void aCommandLosesOneFinalNewlineAndRunsInTheModelsDirectory() throws Exception {
        privateFile("api.txt", (VALUE + "\n\n").getBytes(StandardCharsets.UTF_8));
        assertArrayEquals((VALUE + "\n").getBytes(StandardCharsets.UTF_8), SecretSources.read("web", command("/bin/cat", "api.txt")));
    }

    @Test
    void aMissingFileIsNamed() {
        assertEquals("its file " + dir.resolve("gone") + " does not exist; create it (mode 0600) or fix the path, which is relative to"
                + " the model file", refusal(file("gone")));
    }

    @Test
    void aSymbolicLinkIsNotFollowed() throws Exception {
        privateFile("real", VALUE.getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        assertTrue(refusal(file("link")).contains("is a symbolic link, which beckon does not follow"));
    }

    @Test
    void aFileOthersMayWriteIsRefused() throws Exception {
        Path file = privateFile("db", VALUE.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals("its file " + file + " may be written by other users (rw-rw-r--), who could change the secret; run chmod go-w on it",
                refusal(file("db")));
    }

    @Test
    void aFileInADirectoryOthersMayWriteIsRefused() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        privateFile("open/db", VALUE.getBytes(StandardCharsets.UTF_8));
        assertTrue(refusal(file("open/db")).startsWith("the directory of its file, " + open + ", may be written by other users"));
    }

    @Test
    void aFileOfAnotherUserIsRefused() throws Exception {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Assumptions.assumeTrue(self == 0, "only root can give a file to another user");
        Path file = privateFile("db", VALUE.getBytes(StandardCharsets.UTF_8));
        Files.setAttribute(file, "unix:uid", 65534);
        assertEquals("its file " + file + " belongs to another user (uid 65534), who could change the secret; keep it in a file of your own",
                refusal(file("db")));
    }

    @Test
    void aValueTooBigIsRefusedWithoutQuotingIt() throws Exception {
        privateFile("big", VALUE.repeat(SecretSources.MAX_BYTES / VALUE.length() + 1).getBytes(StandardCharsets.UTF_8));
        assertTrue(refusal(file("big")).contains("more than the 65536 a secret may have"));
        assertTrue(refusal(command("/bin/cat", "big")).contains("printed more than the 65536 bytes a secret may have"));
    }

    @Test
    void anEmptyValueIsRefused() throws Exception {
        privateFile("empty", new byte[0]);
        assertEquals("its file " + dir.resolve("empty") + " gives an empty value; a secret needs one", refusal(file("empty")));
    }

    @Test
    void aFailingCommandIsReportedWithItsLastErrorLine() {
        String refused = refusal(command("/bin/sh", "-c", "echo warming up >&2; echo 'Error: db is not in the password store.' >&2; exit 3"));
        assertTrue(refused.startsWith("its command /bin/sh -c "), refused);
        assertTrue(refused.endsWith(" failed with exit status 3: Error: db is not in the password store."), refused);
        assertTrue(refusal(command(dir.resolve("no-such-program").toString())).startsWith("cannot run its command "));
    }
}
