package dev.beckon.planner.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.WarmStateFiles;
import dev.beckon.idle.WarmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots of warm state on a target: taken, listed newest first, the newest few kept by gc, restored, refused by name. */
class SnapshotsTest {
    @Test
    void theNewestSnapshotsAreKeptNewestFirstAndRestoreBringsBackWhatOneHeld(@TempDir Path dir) throws Exception {
        Path region = WarmStateFiles.region(dir, "default", "counter");
        assertTrue(WarmStateFiles.ensure(region, 16 * WarmState.UNIT_BYTES));
        assertTrue(!WarmStateFiles.ensure(region, 16 * WarmState.UNIT_BYTES), "a region that is there is kept");
        Path snapshots = Snapshots.directory(dir, "default", "counter");
        // Another process writes the region, as the service does; this one only snapshots and restores it.
        List<String> taken = new java.util.ArrayList<>();
        for (int i = 1; i <= Snapshots.KEEP + 2; i++) {
            writeCount(region, i);
            Snapshots.Snapshot snapshot = Snapshots.take(region, snapshots);
            assertEquals(i, snapshot.sequence(), "each count was one committed transaction");
            taken.add(snapshot.id());
        }
        assertEquals(Snapshots.KEEP + 2, Snapshots.list(snapshots).size(), "taking one removes none; gc does");
        List<GarbageCollector.StoreEntry> wouldGo = Snapshots.trim(dir, "default", Snapshots.KEEP, true);
        assertEquals(List.of("snapshots/default/counter/" + taken.get(0) + ".state", "snapshots/default/counter/" + taken.get(1) + ".state"),
                wouldGo.stream().map(GarbageCollector.StoreEntry::name).sorted().toList());
        assertEquals(Snapshots.KEEP + 2, Snapshots.list(snapshots).size(), "a dry run removes nothing");
        assertEquals(wouldGo, Snapshots.trim(dir, "default", Snapshots.KEEP, false));
        assertEquals(List.of(), Snapshots.trim(dir, "other", 0, false), "another profile's snapshots are not looked at");
        List<Snapshots.Snapshot> kept = Snapshots.list(snapshots);
        assertEquals(Snapshots.KEEP, kept.size());
        assertEquals(taken.get(taken.size() - 1), kept.get(0).id(), "newest first");
        assertEquals(taken.subList(2, taken.size()), kept.stream().map(Snapshots.Snapshot::id).sorted().toList(),
                "the oldest went; names sort by age");

        Snapshots.restore(Snapshots.file(snapshots, kept.get(kept.size() - 1).id()), region);
        assertEquals(3, readCount(region), "the oldest kept snapshot held count 3");
    }

    @Test
    void aNameThatIsNoSnapshotIsRefusedSayingWhereToLook(@TempDir Path dir) throws Exception {
        Path snapshots = Files.createDirectories(dir.resolve("snapshots"));
        IOException e = assertThrows(IOException.class, () -> Snapshots.file(snapshots, "../../etc/passwd"));
        assertEquals("\"../../etc/passwd\" is not a snapshot name; `beckon snapshots SERVICE` lists them (like 20261202T020812.345Z)",
                e.getMessage());
        e = assertThrows(IOException.class, () -> Snapshots.file(snapshots, "20000101T000000.000Z"));
        assertEquals("there is no snapshot 20000101T000000.000Z in " + snapshots + "; `beckon snapshots SERVICE` lists them",
                e.getMessage());
    }

    @Test
    void aRegionOfAnotherSizeIsNotResized(@TempDir Path dir) throws Exception {
        Path region = WarmStateFiles.region(dir, "default", "counter");
        WarmStateFiles.ensure(region, 4 * WarmState.UNIT_BYTES);
        IOException e = assertThrows(IOException.class, () -> WarmStateFiles.ensure(region, 8 * WarmState.UNIT_BYTES));
        assertTrue(e.getMessage().startsWith("its warm state " + region + " holds 16384 bytes and the model now says 32768;"),
                e.getMessage());
    }

    /** Sets unit 0's count in a child JVM: a region is mapped once per process, as by a service. */
    private static void writeCount(Path region, long count) throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), CountWriter.class.getName(), region.toString(), String.valueOf(count))
                .inheritIO().start();
        assertEquals(0, child.waitFor());
    }

    private static long readCount(Path region) throws Exception {
        Path copy = region.resolveSibling("read-" + System.nanoTime());
        try (var out = java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            dev.beckon.idle.WarmStateSnapshot.copy(region, out);
        }
        return WarmState.open(copy).read(0).getLong(0);
    }

    /** The child of {@link #writeCount}. */
    public static final class CountWriter {
        public static void main(String[] args) throws Exception {
            WarmState.open(Path.of(args[0])).update(0, unit -> unit.putLong(0, Long.parseLong(args[1])));
        }
    }
}
