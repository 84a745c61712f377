package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.planner.testing.TargetLocks;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code beckon gc} after real deployments of several generations and two profiles sharing one state directory,
 * against a real systemd user manager. Each test uses profiles of its own, since the manager serves the whole class.
 */
@ExtendWith(SystemdSandboxExtension.class)
class GcCommandIT {
    @TempDir
    Path dir;

    private SystemdUserManager systemd;
    private Path state;
    private String home;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        this.systemd = systemd;
        state = dir.resolve("state");
        home = dir.resolve("home").toString();
    }

    /**
     * A package of its own content: the greeting server's classes and a file naming the package, so each name is
     * a different store entry. Its store entry is called {@code HASH-NAME}.
     */
    private Path pkg(String name) throws Exception {
        Path pkg = dir.resolve("packages").resolve(name);
        Path classes = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String packageDirectory = GreetingServer.class.getPackageName().replace('.', '/');
        Path destination = Files.createDirectories(pkg.resolve(packageDirectory));
        try (FileSystem jar = Files.isDirectory(classes) ? null : FileSystems.newFileSystem(classes)) {
            Path root = jar == null ? classes : jar.getPath("/");
            try (Stream<Path> files = Files.list(root.resolve(packageDirectory))) {
                for (Path file : files.filter(f -> f.getFileName().toString().startsWith("GreetingServer")).toList()) {
                    Files.copy(file, destination.resolve(file.getFileName().toString()));
                }
            }
        }
        Files.writeString(pkg.resolve("name"), name + "\n");
        return pkg;
    }

    /** A model of one on-demand greeting service; each profile gets its own directory of it. */
    private Path model(String profile, String service, Path pkg, String greeting, int port) throws IOException {
        Path model = Files.createDirectories(dir.resolve("models").resolve(profile));
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state));
        Files.writeString(model.resolve("distribution.toml"), service + " = [\"local\"]\n");
        Files.writeString(model.resolve("services.toml"), """
                [services.%s]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%s", "%s"]
                class-data-archive = false
                ports = { http = %d }
                [services.%s.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                idle-timeout = "30s"
                """.formatted(service, pkg, GreetingServer.class.getName(), greeting, port, service));
        return model;
    }

    private void deploy(String profile, String service, Path pkg, String greeting, int port) throws IOException {
        Run run = beckon("deploy", model(profile, service, pkg, greeting, port).toString(), "--home", home, "--profile", profile);
        assertEquals(0, run.exitCode(), run.out() + run.err());
    }

    private Run gc(String profile, String... options) {
        List<String> args = new ArrayList<>(List.of("gc", "--home", home, "--profile", profile));
        args.addAll(List.of(options));
        return beckon(args.toArray(String[]::new));
    }

    private Set<String> store() throws IOException {
        try (Stream<Path> entries = Files.list(state.resolve("store"))) {
            // The entries, not the records beside them (.HASH-NAME.sha256, .HASH-NAME.inodes), which come and go with them.
            return entries.map(e -> e.getFileName().toString()).filter(name -> !name.endsWith(".sha256") && !name.endsWith(".inodes"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** The entries a deployment added to the store, in the order it added them (none when all were there). */
    private Set<String> added(Set<String> before) throws IOException {
        Set<String> added = new LinkedHashSet<>(store());
        added.removeAll(before);
        return added;
    }

    private static String only(Set<String> names, String suffix) {
        List<String> matching = names.stream().filter(n -> n.endsWith(suffix)).toList();
        assertEquals(1, matching.size(), names + " should hold one entry ending with " + suffix);
        return matching.get(0);
    }

    /** Stops the service, so the next connection starts it afresh from the store through its socket. */
    private String freshGreeting(String unit, int port) throws Exception {
        systemd.systemctl("stop", unit + ".service");
        return TestServices.text(TestServices.greeting(port));
    }

    private String generations(String profile) {
        return beckon("generations", "--home", home, "--profile", profile).out();
    }

    /** Every path under the state directory with its content's digest, and the generations listing. */
    private String snapshot(String profile) throws Exception {
        StringBuilder text = new StringBuilder();
        try (Stream<Path> paths = Files.walk(state)) {
            for (Path path : paths.sorted().toList()) {
                text.append(state.relativize(path)).append(' ');
                text.append(Files.isRegularFile(path)
                        ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path))) : "dir");
                text.append('\n');
            }
        }
        return text.append(generations(profile)).toString();
    }

    @Test
    void gcKeepsWhatKeptGenerationsAndOtherProfilesNeedAndTheSystemStillRuns() throws Exception {
        int port = TestServices.freePort();
        int otherPort = TestServices.freePort();
        Path a = pkg("a");
        Path b = pkg("b");
        Path c = pkg("c");
        deploy("other", "greet", a, "other", otherPort);
        Set<String> before = store();
        deploy("default", "hello", a, "v1", port);
        String instance1 = only(added(before), "-hello");
        before = store();
        deploy("default", "hello", b, "v2", port);
        Set<String> generation2 = added(before);
        String pkgB = only(generation2, "-b");
        String instance2 = only(generation2, "-hello");
        before = store();
        deploy("default", "hello", b, "v3", port);
        String instance3 = only(added(before), "-hello");
        before = store();
        deploy("default", "hello", c, "v4", port);
        Set<String> generation4 = added(before);
        String pkgA = only(store(), "-a");
        String pkgC = only(generation4, "-c");
        String instance4 = only(generation4, "-hello");
        Run rollback = beckon("rollback", "--to", "3", "--home", home);
        assertEquals(0, rollback.exitCode(), rollback.out() + rollback.err());

        Run gc = gc("default", "--keep", "1");

        assertEquals(0, gc.exitCode(), gc.out() + gc.err());
        List<String> lines = gc.out().lines().toList();
        assertEquals("Profile default: dropped generations 1, 2; keeping generations 3, 4 (3 is current).", lines.get(0), gc.out());
        assertEquals("target local (" + state + "), removed:", lines.get(1), gc.out());
        assertEquals(Set.of(instance1, instance2), lines.subList(2, 4).stream()
                .map(line -> line.substring("  - ".length(), line.indexOf(' ', 4))).collect(Collectors.toSet()), gc.out());
        assertTrue(lines.get(4).matches("Freed [0-9.]+ (B|KiB) in 2 store entries on 1 target\\."), gc.out());
        assertEquals(5, lines.size(), gc.out());
        assertFalse(store().contains(instance1));
        assertFalse(store().contains(instance2));
        assertTrue(store().containsAll(List.of(pkgB, instance3, pkgC, instance4)), "every kept generation's entries: " + store());
        assertTrue(store().contains(pkgA), "profile other runs from it: " + store());
        assertTrue(generations("default").startsWith("*   3  "), generations("default"));
        assertEquals(2, generations("default").lines().count(), generations("default"));
        assertEquals("v3", freshGreeting("beckon-default-hello", port), "the current generation still runs");
        assertEquals("other", freshGreeting("beckon-other-greet", otherPort), "the other profile still runs");

        // The kept generation 4 comes back from the store alone: no model files, no package sources.
        Files.move(dir.resolve("models/default"), dir.resolve("models/default-moved-away"));
        Files.move(dir.resolve("packages"), dir.resolve("packages-moved-away"));
        Run back = beckon("rollback", "--to", "4", "--home", home);
        assertEquals(0, back.exitCode(), back.out() + back.err());
        assertEquals("v4", freshGreeting("beckon-default-hello", port));

        Run keepNone = gc("default", "--keep", "0");

        assertEquals(0, keepNone.exitCode(), keepNone.out() + keepNone.err());
        assertTrue(keepNone.out().startsWith("Profile default: dropped generation 3; keeping generation 4 (4 is current).\n"),
                keepNone.out());
        assertEquals(Set.of(pkgA, pkgC, instance4), store().stream().filter(n -> !n.endsWith("-greet")).collect(Collectors.toSet()),
                "generation 3's package and instance went, now that no kept generation uses them");
        assertEquals("v4", freshGreeting("beckon-default-hello", port), "--keep 0 still keeps the current generation");
        assertEquals("other", freshGreeting("beckon-other-greet", otherPort));

        // Deploying goes on as before, and the generation kept by gc is still one to roll back to.
        deploy("default", "hello", pkg("d"), "v5", port);
        assertEquals("v5", freshGreeting("beckon-default-hello", port));
        Run rollbackToKept = beckon("rollback", "--home", home);
        assertEquals(0, rollbackToKept.exitCode(), rollbackToKept.out() + rollbackToKept.err());
        assertTrue(rollbackToKept.out().contains("Rolled back to generation 4 in"), rollbackToKept.out());
        assertEquals("v4", freshGreeting("beckon-default-hello", port));

        Run nothing = gc("default");
        assertEquals("Profile default: no generation to drop; keeping generations 4, 5 (4 is current).\n"
                + "Nothing to remove from the stores.\n", nothing.out());
    }

    @Test
    void dryRunChangesNothingAndSaysWhatGcThenDoes() throws Exception {
        int port = TestServices.freePort();
        deploy("dryother", "greet", pkg("shared"), "other", TestServices.freePort());
        deploy("dry", "hello", dir.resolve("packages/shared"), "v1", port);
        deploy("dry", "hello", pkg("second"), "v2", port);
        deploy("dry", "hello", pkg("third"), "v3", port);
        String before = snapshot("dry");

        Run dryRun = gc("dry", "--keep", "0", "--dry-run");

        assertEquals(0, dryRun.exitCode(), dryRun.out() + dryRun.err());
        assertEquals(before, snapshot("dry"));
        assertTrue(dryRun.out().startsWith("Profile dry: would drop generations 1, 2; keeping generation 3 (3 is current).\n"
                + "target local (" + state + "), would remove:\n"), dryRun.out());
        assertTrue(dryRun.out().endsWith(" in 3 store entries on 1 target.\nDry run: nothing was changed.\n"), dryRun.out());
        assertTrue(dryRun.out().contains("-second "), dryRun.out());
        assertFalse(dryRun.out().contains("-shared "), "profile dryother uses it: " + dryRun.out());

        Run done = gc("dry", "--keep", "0");

        assertEquals(dryRun.out().replace("would drop", "dropped").replace("would remove", "removed").replace("Would free", "Freed")
                .replace("Dry run: nothing was changed.\n", ""), done.out());
        assertEquals("v3", freshGreeting("beckon-dry-hello", port));
    }

    @Test
    void aLockedTargetMakesGcFailAndLeavesEverythingAsItWas() throws Exception {
        int port = TestServices.freePort();
        deploy("locked", "hello", pkg("one"), "v1", port);
        deploy("locked", "hello", pkg("two"), "v2", port);
        try (AutoCloseable lock = TargetLocks.hold("local", state, "someone")) {
            String before = snapshot("locked");

            Run gc = gc("locked", "--keep", "0");

            assertEquals(1, gc.exitCode(), gc.out() + gc.err());
            assertEquals("", gc.out());
            assertTrue(gc.err().startsWith("beckon: error: target local is locked by beckon deploy by "), gc.err());
            assertEquals(before, snapshot("locked"));
        }
        assertEquals(0, gc("locked", "--keep", "0").exitCode());
        assertEquals(1, generations("locked").lines().count());
    }

    @Test
    void aNegativeKeepIsAUsageErrorAndAProfileWithoutDeploymentsHasNothingToCollect() {
        Run negative = gc("fresh", "--keep", "-1");
        assertEquals(2, negative.exitCode(), negative.out() + negative.err());
        assertTrue(negative.err().contains("--keep must be 0 or more, not -1"), negative.err());

        Run fresh = gc("fresh");
        assertEquals(0, fresh.exitCode(), fresh.out() + fresh.err());
        assertEquals("Profile fresh has no deployments yet; nothing to collect.\n", fresh.out());
    }
}
