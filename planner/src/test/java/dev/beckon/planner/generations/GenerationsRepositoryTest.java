package dev.beckon.planner.generations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository as a thing on disk: what open accepts and refuses, damage reports, and git's own view of it. */
class GenerationsRepositoryTest {
    @TempDir
    Path temporary;

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Every file and directory under root with its content digest, so "nothing changed" can be compared. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                String key = root.relativize(path).toString();
                entries.put(key, Files.isDirectory(path) ? "dir " + Files.getLastModifiedTime(path)
                        : digest(Files.readAllBytes(path)) + " " + Files.getLastModifiedTime(path));
            }
        }
        return entries;
    }

    private static String digest(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private record Run(int exitCode, String output) {
    }

    /** Runs the real git, isolated from the machine's and the user's git configuration. */
    private static Run git(Path directory, String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("git", "-C", directory.toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        builder.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
        builder.environment().put("GIT_AUTHOR_NAME", "test");
        builder.environment().put("GIT_AUTHOR_EMAIL", "test@example.invalid");
        builder.environment().put("GIT_COMMITTER_NAME", "test");
        builder.environment().put("GIT_COMMITTER_EMAIL", "test@example.invalid");
        Process process = builder.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (InputStream stream = process.getInputStream()) {
            stream.transferTo(output);
        }
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "git " + arguments[0] + " finished");
        return new Run(process.exitValue(), output.toString(StandardCharsets.UTF_8));
    }

    private static String gitOk(Path directory, String... arguments) throws IOException, InterruptedException {
        Run run = git(directory, arguments);
        assertEquals(0, run.exitCode(), "git " + String.join(" ", arguments) + ":\n" + run.output());
        return run.output();
    }

    private static void assertRefusedUnchanged(Path directory, String profile, String expectedReason) throws IOException {
        Map<String, String> before = snapshot(directory);
        NotAProfileRepositoryException refused = assertThrows(NotAProfileRepositoryException.class,
                () -> Generations.open(directory, profile));
        String message = refused.getMessage();
        assertTrue(message.contains(directory.toRealPath().toString()), "names the directory: " + message);
        assertTrue(message.contains(expectedReason), "says what is wrong (" + expectedReason + "): " + message);
        assertEquals(before, snapshot(directory), "nothing in " + directory + " changed");
    }

    @Test
    void refusesADirectoryOfOtherFilesAndChangesNothing() throws Exception {
        Path directory = Files.createDirectories(temporary.resolve("default"));
        Files.writeString(directory.resolve("notes.txt"), "mine\n");
        assertRefusedUnchanged(directory, "default", "holds no git repository (it contains notes.txt)");
    }

    @Test
    void refusesAnotherGitWorkTreeAndChangesNothing() throws Exception {
        Path directory = Files.createDirectories(temporary.resolve("project"));
        gitOk(directory, "init", "-q");
        Files.writeString(directory.resolve("README"), "a project\n");
        gitOk(directory, "add", "README");
        gitOk(directory, "commit", "-q", "-m", "start");
        assertRefusedUnchanged(directory, "default", "work tree of another git repository");
    }

    @Test
    void refusesABareGitRepositoryBeckonDidNotMakeAndChangesNothing() throws Exception {
        Path directory = Files.createDirectories(temporary.resolve("bare"));
        gitOk(directory, "init", "-q", "--bare");
        assertRefusedUnchanged(directory, "default", "not one beckon made");
    }

    @Test
    void refusesTheRepositoryOfAnotherProfileAndChangesNothing() throws Exception {
        Path directory = temporary.resolve("staging");
        try (Generations staging = Generations.open(directory, "staging")) {
            staging.record(bytes("{}"), Map.of(), "alice", null);
        }
        assertRefusedUnchanged(directory, "production", "repository of beckon profile 'staging'");
    }

    @Test
    void refusesAFile() throws Exception {
        Path file = Files.writeString(temporary.resolve("default"), "not a directory\n");
        NotAProfileRepositoryException refused = assertThrows(NotAProfileRepositoryException.class,
                () -> Generations.open(file, "default"));
        assertTrue(refused.getMessage().contains("is a file, not a directory"), refused.getMessage());
        assertEquals("not a directory\n", Files.readString(file));
    }

    @Test
    void currentPointerToAMissingCommitIsAClearErrorNamingTheDirectory() throws Exception {
        Path directory = temporary.resolve("default");
        try (Generations generations = Generations.open(directory, "default")) {
            generations.record(bytes("{}"), Map.of(), "alice", null);
            // A loose ref overrides the packed one: the pointer now names an object the repository does not have.
            Files.createDirectories(directory.resolve("refs/beckon"));
            Files.writeString(directory.resolve("refs/beckon/current"), "0123456789abcdef0123456789abcdef01234567\n");
            GenerationsException damaged = assertThrows(GenerationsException.class, generations::current);
            String message = damaged.getMessage();
            assertTrue(message.startsWith("profile repository " + directory.toRealPath() + ": is damaged: "), message);
            assertTrue(message.contains("refs/beckon/current points to 0123456789abcdef0123456789abcdef01234567, which is not in the"
                    + " repository"), message);
            assertThrows(GenerationsException.class, () -> generations.record(bytes("{}"), Map.of(), "alice", null),
                    "nothing is written on top of a damaged repository");
        }
    }

    @Test
    void corruptedCommitIsAClearErrorNamingTheDirectory() throws Exception {
        Path directory = temporary.resolve("default");
        String commit;
        try (Generations generations = Generations.open(directory, "default")) {
            commit = generations.record(bytes("{}"), Map.of(), "alice", null).commit();
            Path object = directory.resolve("objects").resolve(commit.substring(0, 2)).resolve(commit.substring(2));
            Files.delete(object); // loose objects are read-only
            Files.write(object, bytes("this is not a zlib stream"));
        }
        try (Generations reopened = Generations.open(directory, "default")) {
            GenerationsException damaged = assertThrows(GenerationsException.class, reopened::list);
            String message = damaged.getMessage();
            assertTrue(message.startsWith("profile repository " + directory.toRealPath() + ": is damaged: "), message);
            assertTrue(message.contains("refs/tags/generation-1 points to " + commit + ", which cannot be read"), message);
        }
    }

    @Test
    void currentPointerRemovedByHandIsAClearErrorWithTheRepair() throws Exception {
        Path directory = temporary.resolve("default");
        try (Generations generations = Generations.open(directory, "default")) {
            generations.record(bytes("{}"), Map.of(), "alice", null);
            gitOk(directory, "update-ref", "-d", "refs/beckon/current");
            GenerationsException damaged = assertThrows(GenerationsException.class, generations::list);
            assertTrue(damaged.getMessage().contains("has no refs/beckon/current")
                    && damaged.getMessage().contains("update-ref refs/beckon/current refs/tags/generation-1"), damaged.getMessage());
        }
    }

    @Test
    void gitLogTagAndShowReadTheGenerations() throws Exception {
        Path directory = temporary.resolve("default");
        String currentCommit;
        try (Generations generations = Generations.open(directory, "default")) {
            generations.record(bytes("{\"v\": 1}"), Map.of("services.toml", bytes("[services.hello]\n")), "alice", "first");
            generations.record(bytes("{\"v\": 2}"), Map.of("services.toml", bytes("[services.proxy]\n")), "bob", null);
            generations.record(bytes("{\"v\": 3}"), Map.of(), "alice", "third");
            currentCommit = generations.makeCurrent(2).commit();
            generations.delete(1);
        }

        assertEquals("third|alice|3\ngeneration 2|bob|2\nfirst|alice|1\n",
                gitOk(directory, "log", "--format=%s|%an|%(trailers:key=Beckon-Generation,valueonly,separator=)"),
                "git log shows every deployment, newest first, deleted ones included");
        assertEquals("generation-2\ngeneration-3\n", gitOk(directory, "tag"), "git tag shows the kept generations");
        assertEquals(currentCommit + "\n", gitOk(directory, "rev-parse", "refs/beckon/current"));
        assertEquals(currentCommit + "\n", gitOk(directory, "rev-parse", "generation-2^{commit}"));
        assertEquals("{\"v\": 2}", gitOk(directory, "show", "generation-2:manifest.json"));
        assertEquals("[services.proxy]\n", gitOk(directory, "show", "generation-2:models/services.toml"));
        assertTrue(gitOk(directory, "reflog", "show", "refs/beckon/current").contains("beckon: made generation 2 current"),
                "the reflog tells when a rollback happened");
        gitOk(directory, "fsck", "--strict", "--no-dangling");
    }

    @Test
    void aProfileRepositoryKeepsItsHistoryPrivate() throws Exception {
        Path directory = temporary.resolve("default");
        try (Generations generations = Generations.open(directory, "default")) {
            assertFalse(Files.getPosixFilePermissions(generations.directory()).stream()
                    .anyMatch(permission -> permission.name().startsWith("OTHERS") || permission.name().startsWith("GROUP")),
                    "manifests may carry settings, so the profile directory is its owner's only");
        }
    }

    @Test
    void generationsRecordedByGitAreReadBackByBeckon() throws Exception {
        // The other direction of "a normal git repository": what git reads, JGit wrote in the standard formats, so a
        // plain git clone of a profile (a backup) is again a profile beckon can open.
        Path directory = temporary.resolve("default");
        try (Generations generations = Generations.open(directory, "default")) {
            generations.record(bytes("{\"v\": 1}"), Map.of("services.toml", bytes("a")), "alice", null);
            generations.record(bytes("{\"v\": 2}"), Map.of("services.toml", bytes("b")), "alice", null);
        }
        Path backup = temporary.resolve("backup");
        gitOk(temporary, "clone", "-q", "--mirror", directory.toString(), backup.toString());
        gitOk(backup, "config", "beckon.profile", "default");
        try (Generations restored = Generations.open(backup, "default")) {
            assertEquals(2, restored.current().orElseThrow().number());
            assertArrayEquals(bytes("{\"v\": 1}"), restored.manifest(1));
        }
    }
}
