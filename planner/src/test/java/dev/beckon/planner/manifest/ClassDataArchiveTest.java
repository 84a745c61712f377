package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.systemd.SystemdUnitModule;
import dev.beckon.models.ModelLoader;
import dev.beckon.planner.target.ClassDataTrainingProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which instances get a class-data archive, how it reaches the command line beckon writes, and that an
 * instance without one is recorded as before (its manifest JSON has no such field).
 */
class ClassDataArchiveTest {
    private static final ModuleFinder MODULES = (type, stateDirectory) -> new SystemdUnitModule();

    @TempDir
    Path dir;

    private Manifest resolve(String services) throws Exception {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("distribution.toml"), "a = [\"local\"]\n");
        Files.writeString(dir.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                scope = "user"
                """.formatted(dir.resolve("state")));
        return new ManifestResolver(MODULES, t -> t.stateDir().orElseThrow()).resolve(ModelLoader.load(dir), "default");
    }

    private static String service(String exec, String extra, boolean onDemand) {
        return "[services.a]\ntype = \"systemd-unit\"\nexec = " + exec + "\n" + extra
                + (onDemand ? "[services.a.on-demand]\nlisten = [\"127.0.0.1:18999\"]\n" : "");
    }

    @Test
    void anOnDemandJavaServiceGetsAnArchiveInItsInstanceDirectoryNamedRightAfterTheProgram() throws Exception {
        ManifestEntry entry = resolve(service("[\"/usr/bin/java\", \"-cp\", \"/x\", \"Main\"]", "", true)).entries().get(0);
        Path archive = Path.of(entry.instanceDirectory(), ClassDataArchive.FILE_NAME);
        assertEquals(archive.toString(), entry.classDataArchive());
        assertEquals(List.of("/usr/bin/java", "-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-cp", "/x", "Main"), entry.exec());
        assertTrue(entry.files().get("beckon-default-a.service")
                .contains("ExecStart=\"/usr/bin/java\" \"-XX:SharedArchiveFile=" + archive + "\" \"-Xshare:auto\" \"-cp\""));
        assertEquals(Optional.of(List.of("/usr/bin/java", "-XX:ArchiveClassesAtExit=/t/a.jsa", "-Xshare:auto", "-cp", "/x", "Main")),
                ClassDataArchive.training(entry.exec(), Path.of("/t/a.jsa")), "the training start writes the archive instead");
    }

    @Test
    void noArchiveWhenTurnedOffNotJavaOrAlwaysRunning() throws Exception {
        for (String services : List.of(
                service("[\"java\", \"Main\"]", "class-data-archive = false\n", true),
                service("[\"/bin/cat\"]", "", true),
                service("[\"javac\", \"Main\"]", "", true),
                service("[\"java\", \"Main\"]", "", false))) {
            ManifestEntry entry = resolve(services).entries().get(0);
            assertEquals("", entry.classDataArchive(), services);
            assertFalse(entry.exec().stream().anyMatch(a -> a.startsWith("-XX:SharedArchiveFile=")), services);
            String json = new String(ManifestJson.write(resolve(services)), StandardCharsets.UTF_8);
            assertFalse(json.contains("classDataArchive"), "left out of the recorded JSON, so older manifests keep their hash");
        }
    }

    @Test
    void aProgramDeclaredAJvmGetsOneWhateverItIsCalled() throws Exception {
        ManifestEntry entry = resolve(service("[\"/opt/jdk/bin/java17\", \"Main\"]", "class-data-archive = true\n", true))
                .entries().get(0);
        assertFalse(entry.classDataArchive().isEmpty());
        assertEquals("-XX:SharedArchiveFile=" + entry.classDataArchive(), entry.exec().get(1));
    }

    @Test
    void theArchiveIsPartOfTheInstanceSoTurningItOffIsAChangeOfTheInstance() throws Exception {
        String on = resolve(service("[\"java\", \"Main\"]", "", true)).entries().get(0).hash();
        String off = resolve(service("[\"java\", \"Main\"]", "class-data-archive = false\n", true)).entries().get(0).hash();
        assertFalse(on.equals(off));
    }

    @Test
    void aChangedJdkOrDamagedArchiveIsAReasonToRemakeItAndTheRecordedBuildIsNot() throws Exception {
        ManifestEntry entry = resolve(service("[\"java\", \"Main\"]", "", true)).entries().get(0);
        Path archive = Path.of(entry.classDataArchive());
        Files.createDirectories(archive.getParent());
        assertEquals(Optional.of("class-data archive: not made yet"), ClassDataTrainingProbe.staleness(entry));
        Files.write(archive, new byte[] {1, 2, 3});
        ClassDataTrainingProbe.record(entry, archive);
        assertEquals(Optional.empty(), ClassDataTrainingProbe.staleness(entry), "made with the JDK on PATH");
        Files.write(archive, new byte[] {1, 2, 4});
        assertEquals(Optional.of("class-data archive: damaged"), ClassDataTrainingProbe.staleness(entry));
        Files.write(archive, new byte[] {1, 2, 3});
        Path record = archive.resolveSibling("class-data.jdk");
        Files.writeString(record, Files.readString(record).replaceFirst("jdk [0-9a-f]+", "jdk " + "0".repeat(64)));
        assertEquals(Optional.of("class-data archive: JDK changed"), ClassDataTrainingProbe.staleness(entry));
    }

    @Test
    void anArchiveFoundAsMadeIsReadAgainOnlyWhenItsInodeChanged() throws Exception {
        ManifestEntry entry = resolve(service("[\"java\", \"Main\"]", "", true)).entries().get(0);
        Path archive = Path.of(entry.classDataArchive());
        Files.createDirectories(archive.getParent());
        Files.write(archive, new byte[] {1, 2, 3});
        ClassDataTrainingProbe.record(entry, archive);
        Path stamp = archive.resolveSibling("class-data.inodes");
        // Its inode is recorded only once the archive's times lie beyond the racy window when the check begins.
        Thread.sleep(InodeStamp.RACY_MILLIS + 200);
        assertEquals(Optional.empty(), ClassDataTrainingProbe.staleness(entry));
        assertEquals(InodeStamp.of(archive, Long.MAX_VALUE).orElseThrow() + "\n", Files.readString(stamp));
        assertEquals(Optional.empty(), ClassDataTrainingProbe.staleness(entry));
        Files.write(archive, new byte[] {1, 2, 4});
        assertEquals(Optional.of("class-data archive: damaged"), ClassDataTrainingProbe.staleness(entry));
        assertFalse(Files.exists(stamp), "an archive found damaged keeps no record of its inode");
    }
}
