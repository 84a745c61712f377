package dev.beckon.planner.generations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the planner relies on: numbering, the current pointer, rollback order, contents, deletion, reopening. */
class GenerationsTest {
    @TempDir
    Path temporary;

    private Path profileDirectory() {
        return temporary.resolve("profiles/default");
    }

    private Generations open() {
        return Generations.open(profileDirectory(), "default");
    }

    /** Records generations whose manifests say their order, so a test can tell them apart by content. */
    private static void recordSome(Generations generations, int count) {
        for (int i = 0; i < count; i++) {
            generations.record(manifestNumber(i + 1), Map.of("services.toml", bytes("[services]\n")), "alice", null);
        }
    }

    private static byte[] manifestNumber(int n) {
        return bytes("{\"deployment\": " + n + "}");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Integer> numbers(List<Generation> generations) {
        return generations.stream().map(Generation::number).collect(Collectors.toList());
    }

    private static int currentNumber(Generations generations) {
        return generations.current().orElseThrow().number();
    }

    /** JGit opened on a thread of its own is the repository the next record goes into; closed first, it opens nothing. */
    @Test
    void jGitOpenedInTheBackgroundRecordsAsEverAndAClosedProfileOpensNothing() throws Exception {
        try (Generations generations = open()) {
            recordSome(generations, 1);
        }
        try (Generations generations = open()) {
            assertFalse(generations.gitOpened(), "answered from the record");
            generations.openInBackground();
            recordSome(generations, 1);
            assertTrue(generations.gitOpened());
            assertEquals(2, currentNumber(generations));
        }
        Generations closed = open();
        closed.close();
        closed.openInBackground();
        assertFalse(closed.gitOpened());
        try (Generations generations = open()) {
            assertEquals(List.of(1, 2), numbers(generations.list()));
        }
    }

    /**
     * The current manifest comes from the noted record, without JGit, only while it describes the repository: refs
     * moved behind its back, or an object it vouches for gone, and the repository is read (and the damage said) as ever.
     */
    @Test
    void theCurrentManifestSkipsJGitOnlyWhileTheNotedRecordDescribesTheRepository() throws Exception {
        String third;
        try (Generations generations = open()) {
            recordSome(generations, 3);
            generations.makeCurrent(2);
            third = generations.list().get(2).commit();
        }
        try (Generations generations = open()) {
            Generations.CurrentManifest current = generations.currentManifest().orElseThrow();
            assertEquals(2, current.number());
            assertArrayEquals(manifestNumber(2), current.manifest());
            assertFalse(generations.gitOpened(), "answered from the record");
        }
        // As `git update-ref refs/beckon/current` would: the record no longer describes the refs.
        Files.writeString(profileDirectory().resolve("refs/beckon/current"), third + "\n");
        try (Generations generations = open()) {
            assertTrue(generations.gitOpened(), "a record of other refs is not used");
            assertArrayEquals(manifestNumber(3), generations.currentManifest().orElseThrow().manifest());
            assertEquals(3, currentNumber(generations));
        }
        try (Generations generations = open()) {
            assertEquals(3, generations.currentManifest().orElseThrow().number());
            assertFalse(generations.gitOpened(), "the read through JGit noted it again");
        }
        byte[] manifest = manifestNumber(3);
        byte[] object = new byte[("blob " + manifest.length + "\0").length() + manifest.length];
        System.arraycopy(bytes("blob " + manifest.length + "\0"), 0, object, 0, object.length - manifest.length);
        System.arraycopy(manifest, 0, object, object.length - manifest.length, manifest.length);
        String blob = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(object));
        Files.delete(profileDirectory().resolve("objects").resolve(blob.substring(0, 2)).resolve(blob.substring(2)));
        try (Generations generations = open()) {
            assertTrue(generations.gitOpened(), "an object gone is noticed");
            Generations.CurrentManifest current = generations.currentManifest().orElseThrow();
            GenerationsException missing = assertThrows(GenerationsException.class, current::manifest);
            assertEquals(assertThrows(GenerationsException.class, () -> generations.manifest(3)).getMessage(), missing.getMessage());
        }
    }

    @Test
    void opensAMissingDirectoryAsANewProfileWithoutGenerations() {
        try (Generations generations = open()) {
            assertTrue(Files.isRegularFile(profileDirectory().resolve("HEAD")), "a bare git repository is created");
            assertEquals(List.of(), generations.list());
            assertEquals(Optional.empty(), generations.current());
            assertEquals(Optional.empty(), generations.previous());
        }
    }

    @Test
    void opensAnEmptyDirectoryAsANewProfile() throws Exception {
        Files.createDirectories(profileDirectory());
        try (Generations generations = open()) {
            assertEquals(List.of(), generations.list());
            assertEquals(profileDirectory().toRealPath(), generations.directory());
        }
        try (var leftovers = Files.list(profileDirectory().getParent())) {
            assertEquals(List.of("default"), leftovers.map(path -> path.getFileName().toString()).collect(Collectors.toList()),
                    "the staging directory is gone");
        }
    }

    @Test
    void recordsNumberedGenerationsAndMarksTheLastOneCurrent() {
        try (Generations generations = open()) {
            Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            Generation first = generations.record(manifestNumber(1), Map.of(), "alice", "first deployment");
            Generation second = generations.record(manifestNumber(2), Map.of(), "bob", null);
            Generation third = generations.record(manifestNumber(3), Map.of(), "carol", "  ");
            Instant after = Instant.now();

            assertEquals(List.of(1, 2, 3), List.of(first.number(), second.number(), third.number()));
            assertTrue(third.current());
            List<Generation> listed = generations.list();
            assertEquals(List.of(1, 2, 3), numbers(listed), "oldest first");
            assertEquals(List.of(false, false, true), listed.stream().map(Generation::current).collect(Collectors.toList()));
            assertEquals(List.of("alice", "bob", "carol"), listed.stream().map(Generation::user).collect(Collectors.toList()));
            assertEquals(List.of("first deployment", "generation 2", "generation 3"),
                    listed.stream().map(Generation::message).collect(Collectors.toList()), "a missing or blank message gets the default");
            assertEquals(third, listed.get(2), "record answers what list reads back");
            for (Generation generation : listed) {
                assertFalse(generation.time().isBefore(before), generation + " recorded before the test started");
                assertFalse(generation.time().isAfter(after), generation + " recorded after the test ended");
                assertEquals(40, generation.commit().length());
            }
            assertEquals(Optional.of(third), generations.current());
        }
    }

    @Test
    void keepsAMultiLineMessageAsWritten() {
        String message = "upgrade hello to 1.2\n\nThe greeting changed: \"hi\" instead of \"hello\".\nTicket: OPS-12";
        try (Generations generations = open()) {
            generations.record(manifestNumber(1), Map.of(), "alice", message);
            assertEquals(message, generations.current().orElseThrow().message());
        }
    }

    @Test
    void previousIsTheHighestKeptGenerationBelowTheCurrentOne() {
        try (Generations generations = open()) {
            generations.record(manifestNumber(1), Map.of(), "alice", null);
            assertEquals(Optional.empty(), generations.previous(), "the first generation has nothing before it");
            recordSome(generations, 2);
            Generation previous = generations.previous().orElseThrow();
            assertEquals(2, previous.number());
            assertFalse(previous.current());
        }
    }

    @Test
    void repeatedRollbackWalksBackInsteadOfToggling() {
        try (Generations generations = open()) {
            recordSome(generations, 3);
            Generation two = generations.makeCurrent(generations.previous().orElseThrow().number());
            assertEquals(2, two.number());
            assertTrue(two.current());
            assertEquals(2, currentNumber(generations));
            assertEquals(1, generations.makeCurrent(generations.previous().orElseThrow().number()).number());
            assertEquals(1, currentNumber(generations));
            assertEquals(Optional.empty(), generations.previous(), "nothing is older than generation 1");
        }
    }

    @Test
    void makingAGenerationCurrentCreatesNoGeneration() {
        try (Generations generations = open()) {
            recordSome(generations, 3);
            generations.makeCurrent(1);
            List<Generation> listed = generations.list();
            assertEquals(List.of(1, 2, 3), numbers(listed));
            assertEquals(List.of(true, false, false), listed.stream().map(Generation::current).collect(Collectors.toList()));
            assertEquals(1, generations.makeCurrent(1).number(), "making the current one current again changes nothing");
            assertEquals(listed, generations.list());
        }
    }

    @Test
    void recordAfterRollbackNumbersPastTheHighest() {
        try (Generations generations = open()) {
            recordSome(generations, 3);
            generations.makeCurrent(2);
            Generation four = generations.record(manifestNumber(4), Map.of(), "alice", "after rollback");
            assertEquals(4, four.number());
            assertEquals(4, currentNumber(generations));
            assertEquals(3, generations.previous().orElseThrow().number(), "3 is still kept and is below the current 4");
        }
    }

    @Test
    void numberOfADeletedHighestGenerationIsNeverGivenOutAgain() {
        try (Generations generations = open()) {
            recordSome(generations, 3);
            generations.makeCurrent(2);
            generations.delete(3);
            assertEquals(4, generations.record(manifestNumber(4), Map.of(), "alice", null).number());
            assertEquals(List.of(1, 2, 4), numbers(generations.list()));
        }
    }

    @Test
    void manifestAndModelsRoundTripByteForByte() {
        Random random = new Random(42);
        byte[] manifest = new byte[70_000];
        random.nextBytes(manifest); // not valid UTF-8, with NULs and CRs: stored as bytes, never as text
        byte[] binaryModel = new byte[] {0, (byte) 0xff, '\r', '\n', (byte) 0xc3};
        Map<String, byte[]> models = new LinkedHashMap<>();
        models.put("services.toml", bytes("[services.hello]\nexec = [\"java\", \"-jar\", \"{package}\"]\r\n"));
        models.put("infrastructure.toml", bytes("# grüße\n"));
        models.put("empty.toml", new byte[0]);
        models.put("weird name ü.bin", binaryModel);
        try (Generations generations = open()) {
            int number = generations.record(manifest, models, "alice", null).number();
            generations.record(manifestNumber(2), Map.of("services.toml", bytes("other")), "alice", null);

            assertArrayEquals(manifest, generations.manifest(number));
            Map<String, byte[]> readBack = generations.models(number);
            assertEquals(models.keySet(), readBack.keySet());
            for (Map.Entry<String, byte[]> model : models.entrySet()) {
                assertArrayEquals(model.getValue(), readBack.get(model.getKey()), model.getKey());
            }
            assertArrayEquals(manifestNumber(2), generations.manifest(2), "each generation keeps its own manifest");
            assertEquals(List.of("services.toml"), List.copyOf(generations.models(2).keySet()), "and only its own models");
        }
    }

    @Test
    void aGenerationWithoutModelsHasAnEmptyModelMap() {
        try (Generations generations = open()) {
            generations.record(manifestNumber(1), Map.of(), "alice", null);
            assertEquals(Map.of(), generations.models(1));
        }
    }

    @Test
    void unknownGenerationIsAnErrorListingTheKnownOnes() {
        try (Generations generations = open()) {
            UnknownGenerationException none = assertThrows(UnknownGenerationException.class, () -> generations.manifest(1));
            assertTrue(none.getMessage().contains("has no generations yet"), none.getMessage());
            recordSome(generations, 3);
            generations.delete(2);
            UnknownGenerationException unknown = assertThrows(UnknownGenerationException.class, () -> generations.models(9));
            assertEquals(List.of(1, 3), unknown.known());
            assertTrue(unknown.getMessage().contains("no generation 9") && unknown.getMessage().contains("kept generations: 1, 3")
                    && unknown.getMessage().contains(generations.directory().toString()), unknown.getMessage());
            assertThrows(UnknownGenerationException.class, () -> generations.makeCurrent(2), "a deleted generation cannot come back");
            assertThrows(UnknownGenerationException.class, () -> generations.delete(0));
        }
    }

    @Test
    void deleteDropsAGenerationAndRollbackSkipsIt() {
        try (Generations generations = open()) {
            recordSome(generations, 3);
            generations.delete(2);
            assertEquals(List.of(1, 3), numbers(generations.list()));
            assertEquals(1, generations.previous().orElseThrow().number(), "rollback from 3 goes to 1, the highest kept below it");
            assertThrows(UnknownGenerationException.class, () -> generations.manifest(2));
            assertArrayEquals(manifestNumber(1), generations.manifest(1), "the others keep their contents");
            assertArrayEquals(manifestNumber(3), generations.manifest(3));
        }
    }

    @Test
    void refusesToDeleteTheCurrentGeneration() {
        try (Generations generations = open()) {
            recordSome(generations, 2);
            generations.makeCurrent(1);
            GenerationsException refused = assertThrows(GenerationsException.class, () -> generations.delete(1));
            assertTrue(refused.getMessage().contains("generation 1") && refused.getMessage().contains("current"), refused.getMessage());
            assertEquals(List.of(1, 2), numbers(generations.list()));
            assertEquals(1, currentNumber(generations));
        }
    }

    @Test
    void reopeningSeesTheSameState() {
        List<Generation> before;
        try (Generations generations = open()) {
            recordSome(generations, 4);
            generations.makeCurrent(2);
            generations.delete(3);
            before = generations.list();
        }
        try (Generations reopened = open()) {
            assertEquals(before, reopened.list());
            assertEquals(2, currentNumber(reopened));
            assertEquals(1, reopened.previous().orElseThrow().number());
            assertEquals(5, reopened.record(manifestNumber(5), Map.of(), "alice", null).number());
        }
    }

    @Test
    void rejectsModelNamesThatAreNotPlainFileNamesAndRecordsNothing() {
        try (Generations generations = open()) {
            for (String name : List.of("", ".", "..", "../escape.toml", "nested/services.toml", ".git")) {
                IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class,
                        () -> generations.record(manifestNumber(1), Map.of(name, bytes("x")), "alice", null), name);
                assertTrue(rejected.getMessage().contains("'" + name + "'"), rejected.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> generations.record(manifestNumber(1), Map.of(), " ", null));
            assertThrows(IllegalArgumentException.class, () -> generations.record(manifestNumber(1), Map.of(), "eve <e@x>", null));
            assertEquals(List.of(), generations.list());
        }
    }

    @Test
    void aClosedInstanceRefusesToWork() {
        Generations generations = open();
        generations.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, generations::list);
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
}
