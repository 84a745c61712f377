package dev.beckon.planner.target.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell check that runs on an SSH target before beckon copies its runtime into the target's state directory,
 * run here with {@code sh} exactly as the target runs it, as root against directories owned by {@code nobody}:
 * another user who controls a directory on that path could otherwise swap the jars root then runs.
 */
class RemoteTrustedPathCheckTest {
    @TempDir
    Path directory;

    @BeforeEach
    void onlyAsRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: the directories belong to nobody");
    }

    @Test
    void aStateDirectoryOfRootsOwnPassesAndNothingIsCreated() throws Exception {
        Path state = directory.resolve("state");
        Result result = check(state);
        assertEquals(0, result.status(), result.errors());
        assertFalse(Files.exists(state), "the check only looks");
    }

    @Test
    void aStateDirectoryOwnedByAnotherUserIsRefusedByName() throws Exception {
        Path state = Files.createDirectory(directory.resolve("state"));
        chown(state, "nobody");
        Result result = check(state);
        assertEquals(3, result.status());
        assertTrue(result.errors().startsWith(state + " is owned by user "), result.errors());
        assertEquals(1, result.errors().strip().lines().count(), result.errors());
    }

    @Test
    void anAncestorWritableByOthersIsRefusedButAStickyOneIsNot() throws Exception {
        Path open = Files.createDirectory(directory.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Result refused = check(open.resolve("state"));
        assertEquals(3, refused.status());
        assertTrue(refused.errors().contains(open + " can be written by its group or others (mode 777)"), refused.errors());

        Path sticky = Files.createDirectory(directory.resolve("sticky"));
        run(List.of("chmod", "1777", sticky.toString()));
        Path state = Files.createDirectory(sticky.resolve("state"));
        assertEquals(0, check(state).status(), "a sticky ancestor is like /tmp");
    }

    @Test
    void aStickyStateDirectoryItselfIsRefused() throws Exception {
        Path state = Files.createDirectory(directory.resolve("state"));
        run(List.of("chmod", "1777", state.toString()));
        Result result = check(state);
        assertEquals(3, result.status());
        assertTrue(result.errors().contains(state + " can be written by its group or others"), result.errors());
    }

    @Test
    void aLinkOfAnotherUserOnTheWayIsRefused() throws Exception {
        Path real = Files.createDirectory(directory.resolve("real"));
        Path link = Files.createSymbolicLink(directory.resolve("link"), real);
        run(List.of("chown", "-h", "nobody", link.toString()));
        Result result = check(link.resolve("state"));
        assertEquals(3, result.status());
        assertTrue(result.errors().contains(link + " is a symbolic link owned by user "), result.errors());
    }

    @Test
    void aLinkOfRootsToADirectoryOfAnotherUserIsRefused() throws Exception {
        Path theirs = Files.createDirectory(directory.resolve("theirs"));
        chown(theirs, "nobody");
        Path link = Files.createSymbolicLink(directory.resolve("link"), theirs);
        Result result = check(link.resolve("state"));
        assertEquals(3, result.status());
        assertTrue(result.errors().contains(theirs.toRealPath() + " (named by the link " + link + ") is owned by user "),
                result.errors());
    }

    private record Result(int status, String errors) {}

    private static Result check(Path stateDirectory) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("sh", "-c", AgentRuntime.trustedPathCheck(stateDirectory.resolve("store")) + "exit 0")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.waitFor(), errors);
    }

    private static void chown(Path path, String user) throws IOException {
        UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(path, users.lookupPrincipalByName(user));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder(command).inheritIO().start().waitFor(), String.join(" ", command));
    }
}
