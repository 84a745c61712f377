package dev.beckon.reliability;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root deployment into state directories another user ({@code nobody}) controls: for every place beckon writes
 * (the target lock and its guard, the roots and their lock, the store, instance directories, logs, the profile's
 * journal and locks), a directory of nobody's holding a planted link makes beckon refuse in one line, exit 1,
 * with no file at the link's destination and the target as it was. Run as root, as CI runs.
 */
@ExtendWith(SystemdSandboxExtension.class)
class HostileStateDirectoriesTest {
    @TempDir
    Path dir;

    private SystemdUserManager systemd;
    private Path model;
    private Path state;
    private Path home;
    private Path victim;
    private UserPrincipal nobody;
    /** Each case its own profile, so that its units are its own in the class's one systemd. */
    private String profile;
    private static final java.util.concurrent.atomic.AtomicInteger CASES = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        assumeTrue(SafeDirectories.ownUid() == 0, "these cases are about root deploying into another user's directories");
        this.systemd = systemd;
        profile = "hostile" + CASES.incrementAndGet();
        nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        model = Files.createDirectories(dir.resolve("model"));
        state = dir.resolve("state");
        home = dir.resolve("home");
        // Where the planted links point: root's own files, which nobody must never make beckon create.
        victim = Files.createDirectories(dir.resolve("victim"));
        Path pkg = Files.createDirectories(dir.resolve("pkg"));
        Files.writeString(pkg.resolve("data.txt"), "payload\n");
        Files.writeString(model.resolve("services.toml"), """
                [services.svc]
                type = "systemd-unit"
                package = "%s"
                exec = ["/bin/sleep", "3600"]
                """.formatted(pkg));
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state));
        Files.writeString(model.resolve("distribution.toml"), "svc = [\"local\"]\n");
    }

    /** java.nio cannot set the sticky bit. */
    private static Path chmod(String mode, Path path) throws Exception {
        assertEquals(0, new ProcessBuilder("chmod", mode, path.toString()).inheritIO().start().waitFor());
        return path;
    }

    private Path ownedByNobody(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setOwner(directory, nobody);
        return directory;
    }

    private Path plant(Path link, String target) throws IOException {
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, victim.resolve(target));
        return link;
    }

    private Run deployRefused(String expected) throws Exception {
        String before = TargetSnapshot.of(systemd, state, List.of());
        Run run = beckon("deploy", model.toString(), "--home", home.toString(), "-p", profile);
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().startsWith("beckon: error: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertTrue(run.err().contains(expected), "expected " + expected + " in: " + run.err());
        try (Stream<Path> planted = Files.list(victim)) {
            assertEquals(List.of(), planted.toList(), "nothing may appear where nobody's links point");
        }
        assertEquals(before, TargetSnapshot.of(systemd, state, List.of()), "nothing may change on the target");
        assertFalse(systemd.unitSnapshot("beckon-").contains("beckon-" + profile + "-svc.service"), systemd.unitSnapshot("beckon-"));
        return run;
    }

    @Test
    void aStateDirectoryNobodyOwnsIsRefusedAndItsPlantedGuardNeverFollowed() throws Exception {
        ownedByNobody(state);
        plant(state.resolve("lock.guard"), "guard");
        plant(state.resolve("lock"), "lock");
        deployRefused("the directory " + state + " is owned by nobody, not by root");
    }

    @Test
    void aStateDirectoryOthersCanWriteIsRefusedUnlessItIsOnlyAStickyAncestor() throws Exception {
        chmod("1777", Files.createDirectories(state));
        deployRefused("the directory " + state + " can be written by others (mode 1777)");
        // A sticky ancestor such as /tmp is fine: only the state directory itself must be closed.
        Path sticky = chmod("1777", Files.createDirectories(dir.resolve("tmp")));
        Files.writeString(model.resolve("infrastructure.toml"),
                Files.readString(model.resolve("infrastructure.toml")).replace(state.toString(), sticky.resolve("beckon").toString()));
        Run deployed = beckon("deploy", model.toString(), "--home", home.toString(), "-p", profile);
        assertEquals(0, deployed.exitCode(), deployed.out() + deployed.err());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(sticky.resolve("beckon"))));
    }

    @Test
    void anAncestorNobodyOwnsIsRefused() throws Exception {
        Path theirs = ownedByNobody(dir.resolve("theirs"));
        Files.writeString(model.resolve("infrastructure.toml"),
                Files.readString(model.resolve("infrastructure.toml")).replace(state.toString(), theirs.resolve("state").toString()));
        state = theirs.resolve("state");
        deployRefused("the directory " + theirs + " (on the way to " + state + ") is owned by nobody");
        assertFalse(Files.exists(state, LinkOption.NOFOLLOW_LINKS), "beckon made nothing under nobody's directory");
    }

    @Test
    void rootsNobodyOwnsAreRefusedAndTheirPlantedLockNeverFollowed() throws Exception {
        Files.createDirectories(state);
        ownedByNobody(state.resolve("roots"));
        plant(state.resolve("roots/.lock"), "roots-lock");
        plant(state.resolve("roots/default"), "roots-default");
        deployRefused("the directory " + state.resolve("roots") + " is owned by nobody");
    }

    @Test
    void aStoreNobodyOwnsIsRefused() throws Exception {
        Files.createDirectories(state);
        ownedByNobody(state.resolve("store"));
        deployRefused("the directory " + state.resolve("store") + " is owned by nobody");
    }

    @Test
    void anInstanceDirectoryNobodyOwnsIsRefusedAndItsPlantedLauncherNeverFollowed() throws Exception {
        Path instance = ownedByNobody(state.resolve("store/0123456789abcdef0123456789abcdef-svc"));
        plant(instance.resolve("launcher"), "launcher");
        deployRefused("the directory " + instance + " is owned by nobody");
    }

    @Test
    void logsNobodyOwnsAreRefusedAndTheirPlantedLogNeverFollowed() throws Exception {
        Files.createDirectories(state);
        ownedByNobody(state.resolve("logs"));
        plant(state.resolve("logs/" + profile + "/svc.log"), "svc.log");
        deployRefused("the directory " + state.resolve("logs") + " is owned by nobody");
    }

    @Test
    void aLinkPlantedInTheStateDirectoryIsNeverFollowedEvenWhereRootOwnsTheDirectory() throws Exception {
        Files.createDirectories(state);
        plant(state.resolve("lock.guard"), "guard");
        deployRefused(state.resolve("lock.guard") + " is a symbolic link that beckon did not make");
    }

    @Test
    void aProfileDirectoryNobodyOwnsIsRefusedAndItsPlantedJournalNeverFollowed() throws Exception {
        Path repository = home.resolve("profiles/" + profile);
        Run first = beckon("generations", "--home", home.toString(), "-p", profile);
        assertEquals(0, first.exitCode(), first.err());
        ownedByNobody(repository);
        plant(repository.resolve("intent.done"), "intent.done");
        plant(repository.resolve("deploy.lock.guard"), "deploy.lock.guard");
        deployRefused("the directory " + repository + " is owned by nobody");
    }

    @Test
    void directoriesAreMadeWithFixedModesWhateverTheUmask() throws Exception {
        // The umask is the process's: a child beckon started under umask 000 makes what a user with 0777 gets.
        Process process = new ProcessBuilder("sh", "-c", "umask 000; exec \"$0\" -cp \"$1\" dev.beckon.planner.cli.BeckonCommand deploy"
                + " \"$2\" --home \"$3\" -p \"$4\"", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                System.getProperty("java.class.path"), model.toString(), home.toString(), profile)
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), output);
        for (Path made : List.of(state, state.resolve("store"), state.resolve("roots"), home, home.resolve("profiles"))) {
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)), made.toString());
        }
        try (Stream<Path> files = Files.walk(state.resolve("store"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith("-pkg") || f.endsWith("data.txt")).toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
                assertEquals(Files.isDirectory(file) ? "r-xr-xr-x" : "r--r--r--", mode, file.toString());
            }
        }
    }
}
