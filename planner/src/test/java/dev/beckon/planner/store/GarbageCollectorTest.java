package dev.beckon.planner.store;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.manifest.PackageDigest;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.testing.TargetLocks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gc on generations and stores made by hand: which generations go, which store entries go and which stay, and that
 * it refuses to touch anything when it must not. {@code GcCommandIT} does the same through real deployments.
 */
class GarbageCollectorTest {
    @TempDir
    Path dir;

    private Path state;
    private Generations generations;

    @BeforeEach
    void setUp() {
        state = dir.resolve("state");
        generations = open("default");
    }

    @AfterEach
    void tearDown() {
        generations.close();
    }

    private Generations open(String profile) {
        return Generations.open(dir.resolve("home/profiles").resolve(profile), profile);
    }

    /** A package's store entry name: the package content's hash and its file name. */
    private static String pkg(String name) {
        return PackageDigest.ofText("package " + name) + "-" + name;
    }

    /** An instance directory's store entry name: 32 digits of hash and the service. */
    private static String instance(String profile, String service, String pkg) {
        return PackageDigest.ofText(profile + " " + service + " " + pkg).substring(0, 32) + "-" + service;
    }

    private ManifestEntry entry(String profile, String service, String pkg) {
        Path store = state.resolve("store");
        return new ManifestEntry(service, "local", "systemd-unit", "hash", "", List.of("true"), new TreeMap<>(), new TreeMap<>(),
                List.of(), "0", false, false, "/nowhere/" + pkg, "", store.resolve(pkg(pkg)).toString(),
                store.resolve(instance(profile, service, pkg)).toString(), new TreeMap<>(), state.toString(), List.of(),
                new TreeMap<>(), new TreeMap<>());
    }

    private Manifest manifest(String profile, List<ManifestEntry> entries) {
        return new Manifest(Manifest.FORMAT_VERSION, profile,
                new TreeMap<>(Map.of("local", new Manifest.TargetRecord("local", "localhost", "127.0.0.1", state.toString()))), entries);
    }

    /** What a deployment leaves: its entries in the store, a generation, and its roots. services: service to package. */
    private Manifest deploy(Generations profile, Map<String, String> services) throws Exception {
        return deploy(profile, services, true);
    }

    private Manifest deploy(Generations profile, Map<String, String> services, boolean withRoots) throws Exception {
        List<ManifestEntry> entries = new ArrayList<>();
        services.forEach((service, pkg) -> entries.add(entry(profile.profile(), service, pkg)));
        Manifest manifest = manifest(profile.profile(), entries);
        for (ManifestEntry entry : entries) {
            put(Path.of(entry.packagePath()), 3000);
            put(Path.of(entry.instanceDirectory()), 100);
        }
        profile.record(ManifestJson.write(manifest), Map.of(), "tester", null);
        if (withRoots) {
            StoreRoots.addRecorded(manifest, LocalStore.sessions(manifest.profile()));
        }
        return manifest;
    }

    private static void put(Path entry, int bytes) throws IOException {
        Files.createDirectories(entry);
        Files.write(entry.resolve("content"), new byte[bytes]);
    }

    private boolean inStore(String name) {
        return Files.exists(state.resolve("store").resolve(name));
    }

    private List<Integer> numbers() {
        return generations.list().stream().map(Generation::number).toList();
    }

    private List<String> roots(String profile) throws IOException {
        return Files.readAllLines(state.resolve("roots").resolve(profile));
    }

    /** Every path under the state directory with its size, and the generations: what "nothing changed" compares. */
    private String snapshot() throws IOException {
        try (Stream<Path> paths = Files.walk(state)) {
            return paths.sorted().map(path -> state.relativize(path) + " " + (Files.isRegularFile(path) ? size(path) : "dir"))
                    .collect(Collectors.joining("\n")) + "\ngenerations " + generations.list();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long deadPid() throws Exception {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }

    @Test
    void keepsTheNewestAndRemovesWhatOnlyDroppedGenerationsUsed() throws Exception {
        deploy(generations, Map.of("web", "a"));
        deploy(generations, Map.of("web", "b"));
        deploy(generations, Map.of("web", "b", "db", "d"));
        deploy(generations, Map.of("web", "c", "db", "d"));

        GarbageCollector.Report report = new GarbageCollector(generations).collect(2, false, warning -> {});

        assertEquals(List.of(3, 4), numbers());
        assertEquals(List.of(1, 2), report.dropped().stream().map(Generation::number).toList());
        assertEquals(List.of(3, 4), report.kept().stream().map(Generation::number).toList());
        assertEquals(Set.of(pkg("a"), instance("default", "web", "a")),
                report.stores().get(0).removed().stream().map(GarbageCollector.StoreEntry::name).collect(Collectors.toSet()));
        assertEquals(3000 + 100, report.bytes());
        assertEquals(Set.of("local"), report.stores().get(0).targets());
        assertFalse(inStore(pkg("a")));
        assertFalse(inStore(instance("default", "web", "a")));
        assertTrue(inStore(pkg("b")), "shared with kept generation 3");
        assertTrue(inStore(instance("default", "web", "b")), "shared with kept generation 3");
        for (String kept : List.of(pkg("c"), pkg("d"), instance("default", "web", "c"), instance("default", "db", "d"))) {
            assertTrue(inStore(kept), kept);
        }
        assertEquals(List.of(pkg("b"), pkg("c"), pkg("d"), instance("default", "db", "d"), instance("default", "web", "b"),
                instance("default", "web", "c")).stream().sorted().toList(), roots("default"),
                "the roots name exactly what the kept generations reference");

        GarbageCollector.Report again = new GarbageCollector(generations).collect(2, false, warning -> {});
        assertEquals(List.of(), again.dropped());
        assertEquals(0, again.entries(), "a second run finds nothing left");
    }

    @Test
    void keepZeroStillKeepsTheCurrentGeneration() throws Exception {
        deploy(generations, Map.of("web", "a"));
        deploy(generations, Map.of("web", "b"));
        deploy(generations, Map.of("web", "c"));
        generations.makeCurrent(2);

        GarbageCollector.Report report = new GarbageCollector(generations).collect(0, false, warning -> {});

        assertEquals(List.of(2), numbers());
        assertEquals(List.of(1, 3), report.dropped().stream().map(Generation::number).toList());
        assertEquals(2, generations.current().orElseThrow().number());
        assertTrue(inStore(pkg("b")));
        assertTrue(inStore(instance("default", "web", "b")));
        assertFalse(inStore(pkg("a")));
        assertFalse(inStore(pkg("c")));
    }

    @Test
    void entriesAnotherProfileNeedsStay() throws Exception {
        try (Generations other = open("other")) {
            deploy(other, Map.of("api", "shared"));
            deploy(generations, Map.of("web", "shared"));
            deploy(generations, Map.of("web", "new"));

            new GarbageCollector(generations).collect(0, false, warning -> {});

            assertTrue(inStore(pkg("shared")), "profile other's roots name it");
            assertFalse(inStore(instance("default", "web", "shared")));
            assertEquals(List.of(pkg("shared"), instance("other", "api", "shared")).stream().sorted().toList(), roots("other"),
                    "another profile's roots are left as they are");
        }
    }

    @Test
    void entriesOfADeploymentUnderWayStayAndThoseOfADeadOneGo() throws Exception {
        deploy(generations, Map.of("web", "a"));
        deploy(generations, Map.of("web", "b"));
        deploy(generations, Map.of("web", "c"));
        Manifest underWay = manifest("other", List.of(entry("other", "api", "a")));
        StoreRoots.protect(underWay, LocalStore.sessions(underWay.profile()));
        Path dead = state.resolve("roots").resolve("other.deploying-" + deadPid());
        Files.writeString(dead, pkg("b") + "\n");

        new GarbageCollector(generations).collect(0, false, warning -> {});

        assertTrue(inStore(pkg("a")), "a deployment of this process is under way with it");
        assertFalse(inStore(pkg("b")), "the process that wanted it is gone");
        assertFalse(Files.exists(dead));
        StoreRoots.addRecorded(underWay, LocalStore.sessions(underWay.profile()));
        assertFalse(Files.exists(state.resolve("roots").resolve("other.deploying-" + ProcessHandle.current().pid())),
                "recording the deployment ends its temporary roots");
        assertEquals(List.of(pkg("a"), instance("other", "api", "a")).stream().sorted().toList(), roots("other"));
    }

    @Test
    void entriesNoRootsNameGoOnlyWhenThisProfileUsedThem() throws Exception {
        deploy(generations, Map.of("web", "a"), false);
        deploy(generations, Map.of("web", "b"), false);
        String foreign = pkg("written-by-an-older-beckon");
        put(state.resolve("store").resolve(foreign), 10);
        Files.writeString(state.resolve("store").resolve("not-an-entry"), "?");

        new GarbageCollector(generations).collect(0, false, warning -> {});

        assertFalse(inStore(pkg("a")));
        assertTrue(inStore(pkg("b")));
        assertTrue(inStore(foreign), "no generation of this profile used it");
        assertTrue(inStore("not-an-entry"));
    }

    @Test
    void partialCopiesOfDeadProcessesGo() throws Exception {
        deploy(generations, Map.of("web", "a"));
        String deadCopy = "." + pkg("x") + ".partial-" + deadPid();
        String liveCopy = "." + pkg("y") + ".partial-" + ProcessHandle.current().pid();
        put(state.resolve("store").resolve(deadCopy), 500);
        put(state.resolve("store").resolve(liveCopy), 500);

        GarbageCollector.Report report = new GarbageCollector(generations).collect(1, false, warning -> {});

        assertFalse(inStore(deadCopy));
        assertTrue(inStore(liveCopy), "its copier may still be at work");
        assertEquals(List.of(new GarbageCollector.StoreEntry(deadCopy, 500)), report.stores().get(0).removed());
    }

    @Test
    void dryRunChangesNothingAndNamesWhatGcThenRemoves() throws Exception {
        deploy(generations, Map.of("web", "a"));
        deploy(generations, Map.of("web", "b"));
        deploy(generations, Map.of("web", "c"));
        String before = snapshot();

        GarbageCollector.Report dryRun = new GarbageCollector(generations).collect(1, true, warning -> {});

        assertEquals(before, snapshot());
        assertTrue(dryRun.dryRun());
        assertEquals(List.of(1, 2), dryRun.dropped().stream().map(Generation::number).toList());
        GarbageCollector.Report done = new GarbageCollector(generations).collect(1, false, warning -> {});
        assertEquals(dryRun.stores(), done.stores());
        assertEquals(dryRun.dropped(), done.dropped());
    }

    @Test
    void aLockedTargetMakesGcFailWithoutChangingAnything() throws Exception {
        deploy(generations, Map.of("web", "a"));
        deploy(generations, Map.of("web", "b"));
        try (AutoCloseable held = TargetLocks.hold("local", state, "other")) {
            String before = snapshot();

            PlanningException failure = assertThrows(PlanningException.class, () -> new GarbageCollector(generations).collect(0, false, warning -> {}));

            assertTrue(failure.getMessage().contains("target local is locked"), failure.getMessage());
            assertEquals(before, snapshot());
        }
        new GarbageCollector(generations).collect(0, false, warning -> {});
        assertFalse(inStore(pkg("a")), "once the lock is free, gc works");
    }

    @Test
    void aManifestNamingAPathOutsideTheStoreIsRefusedNamingItsGeneration() throws Exception {
        deploy(generations, Map.of("web", "a"));
        Path precious = Files.writeString(dir.resolve("precious"), "keep me");
        ManifestEntry good = entry("default", "web", "b");
        ManifestEntry escaping = new ManifestEntry(good.service(), good.target(), good.type(), good.hash(), good.description(),
                good.exec(), good.environment(), good.ports(), good.listen(), good.idleTimeout(), good.accept(), good.onDemand(),
                good.packageSource(), good.packageHash(), state.resolve("store/../../precious").toString(), good.instanceDirectory(),
                good.container(), good.stateDirectory(), good.dependsOn(), good.endpoints(), good.files());
        generations.record(ManifestJson.write(manifest("default", List.of(escaping))), Map.of(), "tester", null);
        deploy(generations, Map.of("web", "c"));
        String before = snapshot();

        PlanningException failure = assertThrows(PlanningException.class, () -> new GarbageCollector(generations).collect(0, false, warning -> {}));

        assertTrue(failure.getMessage().startsWith("generation 2 of profile default: web@local names "), failure.getMessage());
        assertTrue(failure.getMessage().contains("which is not an entry of the store \"" + state.resolve("store") + "\""), failure.getMessage());
        assertEquals(before, snapshot());
        assertEquals("keep me", Files.readString(precious));
    }

    @Test
    void aProfileWithoutDeploymentsHasNothingToCollect() throws Exception {
        GarbageCollector.Report report = new GarbageCollector(generations).collect(0, false, warning -> {});
        assertEquals(List.of(), report.kept());
        assertEquals(0, report.entries());
        assertFalse(Files.exists(state));
    }

    @Test
    void storeTargetsShareOneLockAndOneReport() throws Exception {
        Map<String, Manifest.TargetRecord> targets = new LinkedHashMap<>();
        targets.put("local", new Manifest.TargetRecord("local", "localhost", "127.0.0.1", state.toString()));
        targets.put("spare", new Manifest.TargetRecord("spare", "localhost", "127.0.0.9", state.toString()));
        ManifestEntry web = entry("default", "web", "a");
        put(Path.of(web.packagePath()), 1);
        put(Path.of(web.instanceDirectory()), 1);
        generations.record(ManifestJson.write(new Manifest(Manifest.FORMAT_VERSION, "default", new TreeMap<>(targets), List.of(web))),
                Map.of(), "tester", null);
        deploy(generations, Map.of("web", "b"));

        GarbageCollector.Report report = new GarbageCollector(generations).collect(0, false, warning -> {});

        assertEquals(1, report.stores().size());
        assertEquals(Set.of("local", "spare"), report.stores().get(0).targets());
        assertEquals(2, report.targets());
        assertFalse(inStore(pkg("a")));
    }
}
