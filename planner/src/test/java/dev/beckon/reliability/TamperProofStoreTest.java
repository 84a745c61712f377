package dev.beckon.reliability;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.planner.manifest.InodeStamp;
import dev.beckon.planner.manifest.PackageDigest;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store cannot be changed under beckon without it noticing: entries are read-only and the deployer's, only
 * files, directories and links get in (a FIFO or device is refused with file:line, never opened), and a damaged
 * entry shows in status and plan, is repaired by deploy and by {@code beckon verify --repair}. An entry found whole
 * is not read again while its inodes say what they said then; {@code beckon verify} reads every byte each time.
 */
@ExtendWith(SystemdSandboxExtension.class)
class TamperProofStoreTest {
    /** Nothing here may hang; if it did (a FIFO opened), the case fails instead of the build stalling. */
    private static final Duration HANG_GUARD = Duration.ofMinutes(3);
    private static final java.util.concurrent.atomic.AtomicInteger CASES = new java.util.concurrent.atomic.AtomicInteger();

    @TempDir
    Path dir;

    private Path model;
    private Path state;
    private Path pkg;
    private String home;
    private String profile;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        profile = "store" + CASES.incrementAndGet();
        model = Files.createDirectories(dir.resolve("model"));
        state = dir.resolve("state");
        home = dir.resolve("home").toString();
        pkg = Files.createDirectories(dir.resolve("pkg"));
        Files.writeString(pkg.resolve("run.sh"), "#!/bin/sh\nexec sleep 3600\n");
        Files.setPosixFilePermissions(pkg.resolve("run.sh"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(Files.createDirectories(pkg.resolve("lib")).resolve("data.txt"), "twelve bytes");
        Files.setPosixFilePermissions(pkg.resolve("lib"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(pkg.resolve("lib/data.txt"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.createSymbolicLink(pkg.resolve("current"), Path.of("lib"));
        writeServices("\"" + pkg + "\"");
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state));
        Files.writeString(model.resolve("distribution.toml"), "svc = [\"local\"]\n");
    }

    private void writeServices(String packageValue) throws IOException {
        Files.writeString(model.resolve("services.toml"), """
                [services.svc]
                type = "systemd-unit"
                package = %s
                exec = ["{package}/run.sh"]
                """.formatted(packageValue));
    }

    private Run run(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        if (!args[0].equals("validate")) {
            all.addAll(List.of("--home", home, "-p", profile));
        }
        return assertTimeoutPreemptively(HANG_GUARD, () -> beckon(all.toArray(String[]::new)));
    }

    private Path entry() throws IOException {
        try (Stream<Path> entries = Files.list(state.resolve("store"))) {
            return entries.filter(e -> e.getFileName().toString().matches("[0-9a-f]{64}-pkg")).findFirst().orElseThrow();
        }
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void entriesAreReadOnlyOwnedByTheDeployerAndCarryTheirContentHash() throws Exception {
        if (SafeDirectories.ownUid() == 0) {
            // A package another user owns must not make a store entry theirs.
            Files.setOwner(pkg.resolve("run.sh"), dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        }
        Run deployed = run("deploy", model.toString());
        assertEquals(0, deployed.exitCode(), deployed.out() + deployed.err());
        Path entry = entry();
        assertEquals("r-xr-xr-x", mode(entry));
        assertEquals("r-xr-xr-x", mode(entry.resolve("run.sh")), "a 0777 package file becomes 0555, not 0777");
        assertEquals("r-xr-xr-x", mode(entry.resolve("lib")));
        assertEquals("r--r--r--", mode(entry.resolve("lib/data.txt")));
        assertEquals(Path.of("lib"), Files.readSymbolicLink(entry.resolve("current")));
        try (Stream<Path> files = Files.walk(entry)) {
            for (Path file : files.toList()) {
                assertEquals(SafeDirectories.ownUid(), Files.getAttribute(file, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS),
                        file.toString());
            }
        }
        Path record = entry.resolveSibling("." + entry.getFileName() + ".sha256");
        assertEquals(entry.getFileName().toString().substring(0, 64) + "\n", Files.readString(record));
        Run verify = run("verify");
        assertEquals(0, verify.exitCode(), verify.out() + verify.err());
        assertEquals("1 store entry checked, all whole.\n", verify.out());

        // gc can remove the read-only entry once no kept generation uses it.
        Files.writeString(model.resolve("distribution.toml"), "");
        assertEquals(0, run("deploy", model.toString()).exitCode());
        Run gc = run("gc", "--keep", "1");
        assertEquals(0, gc.exitCode(), gc.out() + gc.err());
        assertFalse(Files.exists(entry), gc.out());
        assertFalse(Files.exists(record), "the record goes with its entry");
    }

    @Test
    void aTruncatedFileIsSeenByStatusPlanAndVerifyAndRepairedByDeployAndByVerifyRepair() throws Exception {
        assertEquals(0, run("deploy", model.toString()).exitCode());
        Path data = entry().resolve("lib/data.txt");
        for (boolean byDeploy : new boolean[] {true, false}) {
            damage(data);
            Run status = run("status");
            assertEquals(1, status.exitCode(), status.out() + status.err());
            assertTrue(status.out().contains("drifted") && status.out().contains("was changed after it was copied"), status.out());
            Run plan = run("plan", model.toString());
            assertFalse(plan.out().contains("No changes"), plan.out());
            assertTrue(plan.out().contains("was changed after it was copied"), plan.out());
            Run verify = run("verify");
            assertEquals(1, verify.exitCode(), verify.out() + verify.err());
            assertTrue(verify.out().contains(entry() + " (generation 1) was changed after it was copied")
                    && verify.out().contains("1 damaged: `beckon verify --repair` or `beckon deploy`"), verify.out());
            Run repaired = byDeploy ? run("deploy", model.toString()) : run("verify", "--repair");
            assertEquals(0, repaired.exitCode(), repaired.out() + repaired.err());
            assertEquals("twelve bytes", Files.readString(data), repaired.out());
            assertEquals("r--r--r--", mode(data));
            Run after = run("status");
            assertEquals(0, after.exitCode(), after.out() + after.err());
            assertEquals(0, run("verify").exitCode());
        }
    }

    @Test
    void aDamagedPackageThatTwoServicesShareIsRepairedOnceByDeployAndBothRunFromIt() throws Exception {
        // The deployment checks a shared package once (not once per instance): the first instance's repair stands for both.
        Files.writeString(model.resolve("services.toml"), """
                [services.svc]
                type = "systemd-unit"
                package = "%1$s"
                exec = ["{package}/run.sh"]
                [services.twin]
                type = "systemd-unit"
                package = "%1$s"
                exec = ["{package}/run.sh", "twin"]
                """.formatted(pkg));
        Files.writeString(model.resolve("distribution.toml"), "svc = [\"local\"]\ntwin = [\"local\"]\n");
        assertEquals(0, run("deploy", model.toString()).exitCode());
        Path data = entry().resolve("lib/data.txt");
        damage(data);
        Run plan = run("plan", model.toString());
        assertTrue(plan.out().contains("svc@local") && plan.out().contains("twin@local")
                && plan.out().contains("was changed after it was copied"), plan.out());
        Run repaired = run("deploy", model.toString());
        assertEquals(0, repaired.exitCode(), repaired.out() + repaired.err());
        assertEquals("twelve bytes", Files.readString(data), repaired.out());
        Run status = run("status");
        assertEquals(0, status.exitCode(), status.out() + status.err());
        assertEquals("1 store entry checked, all whole.\n", run("verify").out());
    }

    @Test
    void anEntryFoundWholeIsReadAgainOnlyWhenItsInodesChangedButVerifyReadsEveryByte() throws Exception {
        assertEquals(0, run("deploy", model.toString()).exitCode());
        Path stamp = entry().resolveSibling("." + entry().getFileName() + ".inodes");
        Path data = entry().resolve("lib/data.txt");
        // Inodes are recorded only for files whose times lie beyond the racy window when the check begins.
        Thread.sleep(InodeStamp.RACY_MILLIS + 200);
        assertEquals(0, run("status").exitCode());
        assertEquals(InodeStamp.of(entry(), Long.MAX_VALUE).orElseThrow() + "\n", Files.readString(stamp),
                "status read the entry, found it whole and recorded its inodes");

        // A change moves the file's ctime, so the recorded inodes no longer hold and the content is read again.
        damage(data);
        Run status = run("status");
        assertEquals(1, status.exitCode(), status.out() + status.err());
        assertTrue(status.out().contains("was changed after it was copied"), status.out());
        assertFalse(Files.exists(stamp), "an entry found damaged keeps no record of its inodes");
        assertEquals(0, run("deploy", model.toString()).exitCode());
        Thread.sleep(InodeStamp.RACY_MILLIS + 200);
        assertEquals(0, run("status").exitCode());
        assertTrue(Files.exists(stamp));

        // What no inode shows (a disk's decay) only verify finds: a change made here, then its inodes recorded as
        // they are now, as if the change had left them as they were.
        damage(data);
        Files.delete(stamp);
        Files.writeString(stamp, InodeStamp.of(entry(), Long.MAX_VALUE).orElseThrow() + "\n");
        Run trusting = run("status");
        assertEquals(0, trusting.exitCode(), "status trusts the recorded inodes: " + trusting.out());
        Run verify = run("verify");
        assertEquals(1, verify.exitCode(), verify.out() + verify.err());
        assertTrue(verify.out().contains("was changed after it was copied"), verify.out());
        assertFalse(Files.exists(stamp), "verify removes the record of a damaged entry's inodes");
        Run after = run("status");
        assertEquals(1, after.exitCode(), after.out() + after.err());
        assertTrue(after.out().contains("was changed after it was copied"), after.out());
        assertEquals(0, run("verify", "--repair").exitCode());
        assertEquals("twelve bytes", Files.readString(data));

        Thread.sleep(InodeStamp.RACY_MILLIS + 200);
        assertEquals(0, run("status").exitCode());
        assertTrue(Files.exists(stamp));
        Files.writeString(model.resolve("distribution.toml"), "");
        assertEquals(0, run("deploy", model.toString()).exitCode());
        assertEquals(0, run("gc", "--keep", "1").exitCode());
        assertFalse(Files.exists(stamp), "the record of inodes goes with its entry");
    }

    private static void damage(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (var channel = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
            channel.truncate(5);
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    }

    @Test
    void aFifoADeviceOrADirectoryHoldingAFifoIsRefusedByValidateAndPlanWithFileAndLine() throws Exception {
        Path fifo = pkg.resolve("lib/queue");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        for (String command : new String[] {"validate", "plan", "deploy"}) {
            Run refused = run(command, model.toString());
            assertEquals(1, refused.exitCode(), refused.out() + refused.err());
            assertTrue(refused.err().contains(model.resolve("services.toml") + ":3:") && refused.err().contains(fifo + " is a FIFO"),
                    refused.err());
        }
        assertFalse(Files.exists(state), "nothing was written on the target");
        writeServices("\"/dev/null\"");
        Run device = run("validate", model.toString());
        assertEquals(1, device.exitCode());
        assertTrue(device.err().contains("/dev/null is a character device"), device.err());
        writeServices("\"" + fifo + "\"");
        Run bare = run("plan", model.toString());
        assertEquals(1, bare.exitCode());
        assertTrue(bare.err().contains(fifo + " is a FIFO"), bare.err());
        // Hashing looks before it opens: a FIFO in a package fails at once, with nobody writing to it.
        IOException hashing = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(IOException.class, () -> PackageDigest.of(pkg)));
        assertTrue(hashing.getMessage().contains(fifo + " is a FIFO"), hashing.getMessage());
    }
}
