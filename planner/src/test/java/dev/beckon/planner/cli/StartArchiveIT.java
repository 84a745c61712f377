package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.beckon.planner.testing.BeckonProcess;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/beckon's start archive: made once, in the background, by the first runs that find none (several at once make
 * one), mapped by the starts after them, and never in the way: a cut-short, garbage or stale archive, or a cache
 * directory that is not the user's own, leaves beckon starting as it would without one.
 */
class StartArchiveIT {
    @TempDir
    static Path temp;

    /** The cache the first runs made their archive in, and that archive. */
    private static Path cache;
    private static Path archive;

    @BeforeAll
    static void concurrentFirstRunsMakeTheArchive() throws Exception {
        cache = temp.resolve("cache");
        List<CompletableFuture<BeckonProcess.Run>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> inCache(cache).run("--help")));
        }
        for (CompletableFuture<BeckonProcess.Run> run : runs) {
            assertHelp(run.get());
        }
        List<Path> made = awaitArchive(inCache(cache), cache);
        assertEquals(1, made.size(), "one archive from four first runs: " + entries(cache, ""));
        archive = made.get(0);
    }

    @Test
    void theArchiveIsWholeAndAlone() throws IOException {
        assertEquals(List.of(archive), entries(cache, ""), "nothing but the archive is left in the cache");
        String name = archive.getFileName().toString();
        assertEquals(Long.parseLong(name.substring(name.lastIndexOf('-') + 1, name.length() - ".jsa".length())),
                Files.size(archive), "the size in its name");
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(archive));
        assertEquals('-', mode.charAt(4), mode);
        assertEquals('-', mode.charAt(7), mode);
    }

    @Test
    void laterStartsMapIt() throws IOException {
        assertTrue(sharedStart(inCache(cache)), "beckon's classes come from the archive");
        assertFalse(sharedStart(inCache(cache).and("BECKON_START_ARCHIVE", "0")), "and not when it is turned off");
    }

    /** --version loads too few classes for the archive to pay: it starts without one, though one is there. */
    @Test
    void versionStartsWithoutIt() throws IOException {
        assertFalse(sharedStart(inCache(cache), "--version"));
        BeckonProcess.Run version = inCache(cache).run("--version");
        assertEquals(0, version.exitCode(), version.output());
        assertTrue(version.out().startsWith("beckon ") && version.out().lines().count() == 1, version.output());
    }

    /**
     * A log, a dump or a debugger asked for in BECKON_JAVA_OPTS is the command's own: the maker's JVMs leave them be
     * (before, they overwrote the command's log as it was read), and an archive made for one log file serves the
     * start that asks for another.
     */
    @Test
    void optionsThatOnlyReportStayWithTheCommand() throws Exception {
        Path reportingCache = temp.resolve("reporting");
        // Archives of four other builds, an hour apart: the maker keeps the three newest.
        List<Path> others = new ArrayList<>();
        for (int hoursAgo = 1; hoursAgo <= 4; hoursAgo++) {
            Path other = Files.createDirectories(reportingCache.resolve("beckon"))
                    .resolve("beckon-%032d-1000.jsa".formatted(hoursAgo));
            Files.write(other, new byte[1000]);
            Files.setLastModifiedTime(other, FileTime.from(Instant.now().minus(Duration.ofHours(hoursAgo))));
            others.add(other);
        }
        Path logs = Files.createDirectories(temp.resolve("reporting-logs"));
        String options = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:gc:file=%s/gc-%%p.log";
        BeckonProcess logging = inCache(reportingCache).and("BECKON_JAVA_OPTS", options.formatted(logs));
        assertHelp(logging.run("--help"));
        List<Path> kept = awaitArchive(logging, reportingCache);
        assertEquals(4, kept.size(), "the new archive and the three newest of the others: " + kept);
        assertTrue(kept.containsAll(others.subList(0, 3)), kept.toString());
        try (Stream<Path> written = Files.list(logs)) {
            assertEquals(1, written.count(), "one log, the command's: the maker's JVMs wrote none");
        }
        Path otherLogs = Files.createDirectories(temp.resolve("reporting-logs-2"));
        assertTrue(sharedStart(inCache(reportingCache).and("BECKON_JAVA_OPTS", options.formatted(otherLogs))),
                "a start logging elsewhere maps the same archive");
    }

    @Test
    void anArchiveCutShortIsNotUsed() throws IOException {
        Path copy = copyOfCache("cut-short");
        try (FileChannel file = FileChannel.open(copy, StandardOpenOption.WRITE)) {
            file.truncate(Files.size(copy) / 2);
        }
        assertStartsWithout(copy.getParent().getParent());
    }

    @Test
    void garbageOfTheRightSizeIsNotUsed() throws IOException {
        Path copy = copyOfCache("garbage");
        byte[] garbage = new byte[(int) Math.min(Files.size(copy), 1 << 20)];
        new Random(18).nextBytes(garbage);
        try (FileChannel file = FileChannel.open(copy, StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(garbage), 0);
        }
        assertStartsWithout(copy.getParent().getParent());
    }

    /** An archive the JVM made for other class files (a copy of the jar elsewhere), under this start's name. */
    @Test
    void aStaleArchiveIsIgnoredByTheJvm() throws Exception {
        Path other = temp.resolve("stale");
        Path staleCache = other.resolve("cache");
        Files.createDirectories(staleCache.resolve("beckon"));
        Path jar = BeckonProcess.command().getParent().getParent().resolve("planner/target/beckon.jar");
        Path jarCopy = Files.copy(jar, other.resolve("beckon.jar"));
        Path classList = Files.writeString(other.resolve("list"), "java/lang/Object\ndev/beckon/planner/cli/ExitCodes\n");
        Path made = other.resolve("made.jsa");
        Process dump = new ProcessBuilder("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:dump",
                "-XX:SharedClassListFile=" + classList, "-XX:SharedArchiveFile=" + made, "-cp", jarCopy.toString())
                .redirectErrorStream(true).redirectOutput(other.resolve("dump.log").toFile()).start();
        assertEquals(0, dump.waitFor(), Files.readString(other.resolve("dump.log")));
        BeckonProcess.Run where = inCache(staleCache).and("BECKON_START_ARCHIVE", "where").run();
        assertEquals(0, where.exitCode(), where.output());
        Path named = Path.of(where.out().strip().replace("-SIZE.jsa", "-" + Files.size(made) + ".jsa"));
        Files.move(made, named);
        assertStartsWithout(staleCache);
    }

    @Test
    void aCacheOthersCanWriteIsNotUsed() throws IOException {
        Path copy = copyOfCache("group-writable");
        Files.setPosixFilePermissions(copy.getParent(), PosixFilePermissions.fromString("rwxrwxr-x"));
        Path otherCache = copy.getParent().getParent();
        assertEquals(1, inCache(otherCache).and("BECKON_START_ARCHIVE", "where").run().exitCode());
        assertStartsWithout(otherCache);
        assertEquals(List.of(copy), entries(copy.getParent(), ""), "nothing made there");
    }

    @Test
    void aLinkAnotherUserMadeIsNotFollowed() throws Exception {
        assumeTrue(dev.beckon.activation.SafeDirectories.ownUid() == 0, "making a link another user's takes root");
        Path copy = copyOfCache("linked");
        Path otherCache = temp.resolve("link-cache");
        Files.createDirectories(otherCache);
        Path link = Files.createSymbolicLink(otherCache.resolve("beckon"), copy.getParent());
        UserPrincipal nobody = link.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        // chown -h: the link's own owner, not what it names (Files.setOwner follows links).
        assertEquals(0, new ProcessBuilder("chown", "-h", "nobody", link.toString()).inheritIO().start().waitFor());
        assertEquals(nobody, Files.getOwner(link, LinkOption.NOFOLLOW_LINKS));
        assertEquals("root", Files.getOwner(copy.getParent()).getName(), "what the link names stays root's");
        assertEquals(1, inCache(otherCache).and("BECKON_START_ARCHIVE", "where").run().exitCode());
        assertStartsWithout(otherCache);
        assertEquals(List.of(copy), entries(copy.getParent(), ""), "nothing made through the link");
    }

    /** bin/beckon --help succeeds as it would without an archive, and none of its classes come from one. */
    private static void assertStartsWithout(Path cacheHome) throws IOException {
        BeckonProcess.Run run = inCache(cacheHome).run("--help");
        assertHelp(run);
        assertFalse(sharedStart(inCache(cacheHome)), "the archive is not used");
    }

    private static void assertHelp(BeckonProcess.Run run) {
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.out().startsWith("Usage: beckon "), run.output());
        assertEquals("", run.err(), run.output());
    }

    /** Whether beckon's main class came from a class-data-sharing archive in a {@code --help} run. */
    private static boolean sharedStart(BeckonProcess beckon) throws IOException {
        return sharedStart(beckon, "--help");
    }

    private static boolean sharedStart(BeckonProcess beckon, String... arguments) throws IOException {
        Path log = Files.createTempFile(temp, "classes", ".log");
        BeckonProcess.Run run = beckon.and("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log).run(arguments);
        assertEquals(0, run.exitCode(), run.output());
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(line -> line.contains(" dev.beckon.planner.cli.BeckonCommand "))
                    .peek(line -> assertTrue(line.contains("source:"), line))
                    .anyMatch(line -> line.contains("shared objects file"));
        }
    }

    /** A cache of its own holding a copy of the archive under its name. */
    private static Path copyOfCache(String name) throws IOException {
        Path directory = Files.createDirectories(temp.resolve(name).resolve("beckon"));
        Path copy = directory.resolve(archive.getFileName());
        Files.copy(archive, copy);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        return copy;
    }

    private static BeckonProcess inCache(Path cacheHome) {
        return BeckonProcess.withEnvironment(Map.of("XDG_CACHE_HOME", cacheHome.toString()));
    }

    /**
     * The archives in the cache once the detached maker has made this start's (waiting at most ten minutes on a loaded
     * machine) and every maker has ended.
     */
    private static List<Path> awaitArchive(BeckonProcess beckon, Path cacheHome) throws IOException, InterruptedException {
        BeckonProcess.Run where = beckon.and("BECKON_START_ARCHIVE", "where").run();
        assertEquals(0, where.exitCode(), where.output());
        String name = Path.of(where.out().strip()).getFileName().toString();
        String prefix = name.substring(0, name.length() - "SIZE.jsa".length());
        for (int i = 0; i < 1200 && (entries(cacheHome, prefix).isEmpty() || !entries(cacheHome, ".making-").isEmpty()); i++) {
            Thread.sleep(500);
        }
        return archives(cacheHome);
    }

    private static List<Path> archives(Path cacheHome) throws IOException {
        return entries(cacheHome.resolve("beckon"), "beckon-").stream()
                .filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
    }

    private static List<Path> entries(Path directory, String prefix) throws IOException {
        Path dir = directory.getFileName().toString().equals("beckon") ? directory : directory.resolve("beckon");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }
}
