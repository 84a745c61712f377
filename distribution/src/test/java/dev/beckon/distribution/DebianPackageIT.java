package dev.beckon.distribution;

import static dev.beckon.distribution.Processes.run;
import static dev.beckon.distribution.Processes.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.beckon.sandbox.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Debian package as an operator installs it: apt-get installs the local file (its Java 17 dependency is
 * there already, so no network is needed), {@code beckon} is on the PATH and works, and removing the package
 * leaves none of its files. Needs root, as CI has; skipped otherwise.
 */
class DebianPackageIT {
    private static final Path HERE = Path.of("").toAbsolutePath();
    /** dpkg's lock may be held by another apt run on the machine for a while: wait for it rather than fail. */
    private static final List<String> APT = List.of("apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends");

    /**
     * The machine has one dpkg: another suite running on it at the same time (a second clone's bin/test) installs
     * the same package, so the two take turns, by a lock of the machine's.
     */
    private static final Path MACHINE_LOCK = Path.of("/run/lock/beckon-debian-package-test.lock");

    @Test
    void installedByAptItRunsAndRemovedItLeavesNothing() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "installing a Debian package needs root (CI runs as root); run bin/test as root to include this test");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "apt-get is not on this machine: not Debian");
        Files.createDirectories(MACHINE_LOCK.getParent());
        try (java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(MACHINE_LOCK, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                java.nio.channels.FileLock turn = lock.lock()) {
            installRunAndRemove();
        }
    }

    private void installRunAndRemove() throws Exception {
        CommandResult before = run(HERE, List.of("dpkg-query", "-W", "-f=${Status}", "beckon"));
        assertTrue(!before.stdout().contains("installed") || before.stdout().contains("not-installed"),
                "a beckon package is installed on this machine already; the test would remove it. Remove it first: "
                        + "apt-get purge beckon");

        Path deb = Packaged.debianPackage();
        // What the package holds, and which of it the machine had before (/usr, /usr/bin: those stay).
        List<String> contents = succeed(HERE, List.of("sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -t", "sh", deb.toString())).stdout().lines()
                        .map(line -> line.replaceFirst("^\\./", "/").replaceFirst("(.)/$", "$1")).filter(line -> !line.equals("/")).toList();
        List<String> brought = contents.stream().filter(path -> !Files.exists(Path.of(path))).toList();
        assertTrue(brought.contains("/usr/bin/beckon") && brought.contains("/usr/share/beckon/lib"), contents.toString());
        Map<String, String> noninteractive = Map.of("DEBIAN_FRONTEND", "noninteractive");
        try {
            CommandResult install = run(HERE, noninteractive, concat(APT, "install", deb.toString()));
            assertEquals(0, install.exitCode(), install.toString());
            List<String> files = succeed(HERE, List.of("dpkg-query", "-L", "beckon")).stdout().lines().toList();
            assertTrue(files.contains("/usr/share/man/man1/beckon-deploy.1")
                    && files.contains("/usr/share/bash-completion/completions/beckon"), files.toString());
            assertTrue(succeed(HERE, List.of("dpkg-query", "-W", "-f=${Depends}", "beckon")).stdout()
                    .contains("openjdk-17-jre-headless"), "it depends on a Java 17 runtime");

            // By name, as an operator types it: /usr/bin is on every PATH.
            CommandResult version = succeed(HERE, List.of("beckon", "--version"));
            assertEquals("beckon " + Packaged.VERSION + "\n", version.stdout());
            CommandResult validate = succeed(HERE, List.of("beckon", "validate", Packaged.EXAMPLE.toString()));
            assertTrue(validate.stdout().contains(": valid: 1 service, 1 target, 1 instance"), validate.toString());
        } finally {
            CommandResult purge = run(HERE, noninteractive, concat(APT, "purge", "beckon"));
            assertEquals(0, purge.exitCode(), purge.toString());
        }
        assertNotEquals(0, run(HERE, List.of("dpkg-query", "-L", "beckon")).exitCode(), "dpkg still knows beckon");
        assertEquals(List.of(), brought.stream().filter(path -> Files.exists(Path.of(path))).toList(),
                "what the package brought and its removal left behind");
    }

    private static List<String> concat(List<String> first, String... rest) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(List.of(rest));
        return all;
    }
}
