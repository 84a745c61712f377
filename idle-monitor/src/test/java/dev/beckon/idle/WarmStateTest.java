package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.idle.services.WarmStateWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm state against real processes: a writer JVM SIGKILLed at random moments, and snapshots taken while it writes.
 * The writer fills each unit with its count, so a unit caught half-written shows as one whose longs differ.
 */
class WarmStateTest {
    private static final int UNITS = 4;

    @Test
    void everyAcknowledgedUpdateSurvivesSigkillAndNoUnitIsLeftHalfWritten(@TempDir Path dir) throws Exception {
        Path region = dir.resolve("state");
        WarmState.create(region, 16 * WarmState.UNIT_BYTES);
        Random random = new Random();
        long[] acknowledged = new long[UNITS];
        for (int kill = 0; kill < 8; kill++) {
            Writer writer = Writer.start(region, UNITS);
            Thread.sleep(20 + random.nextInt(200));
            writer.kill();
            long[] committed = units(snapshot(region, dir.resolve("after-kill-" + kill)), UNITS);
            for (int unit = 0; unit < UNITS; unit++) {
                long acked = writer.acknowledged.getOrDefault(unit, acknowledged[unit]);
                assertTrue(committed[unit] == acked || committed[unit] == acked + 1, "unit " + unit + " holds " + committed[unit]
                        + " after the writer acknowledged " + acked + ": an acknowledged update was lost or one was invented");
                acknowledged[unit] = committed[unit];
            }
        }
        assertTrue(acknowledged[0] > 0, "the writer never committed anything, which proves nothing");
    }

    @Test
    void snapshotsTakenWhileTheWriterRunsHoldOnlyWholeCommittedUnitsAndNeverGoBack(@TempDir Path dir) throws Exception {
        Path region = dir.resolve("state");
        WarmState.create(region, 16 * WarmState.UNIT_BYTES);
        Writer writer = Writer.start(region, 1);
        try {
            long previous = 0;
            for (int i = 0; i < 30; i++) {
                long count = units(snapshot(region, dir.resolve("snapshot-" + i)), 1)[0];
                assertTrue(count >= previous, "a later snapshot holds " + count + ", an earlier one " + previous);
                previous = count;
            }
            assertTrue(previous > 0, "the writer never committed anything, which proves nothing");
        } finally {
            writer.kill();
        }
    }

    @Test
    void aSnapshotIsARegionThatOpensWithTheSameContent(@TempDir Path dir) throws Exception {
        Path region = dir.resolve("state");
        WarmState.create(region, 8 * WarmState.UNIT_BYTES);
        WarmState state = WarmState.open(region);
        state.update(3, unit -> unit.putLong(16, 42));
        state.update(3, unit -> unit.putLong(24, 43));
        assertEquals(42, state.read(3).getLong(16));
        Path copy = snapshot(region, dir.resolve("copy"));
        WarmState restored = WarmState.open(copy);
        assertEquals(42, restored.read(3).getLong(16));
        assertEquals(43, restored.read(3).getLong(24));
        assertEquals(8 * WarmState.UNIT_BYTES, WarmState.capacityOf(copy));
    }

    @Test
    void aChangeThatThrowsCommitsNothing(@TempDir Path dir) throws Exception {
        Path region = dir.resolve("state");
        WarmState.create(region, WarmState.UNIT_BYTES);
        WarmState state = WarmState.open(region);
        state.update(0, unit -> unit.putLong(0, 7));
        assertThrows(IllegalStateException.class, () -> state.update(0, unit -> {
            unit.putLong(0, 8);
            throw new IllegalStateException("refused");
        }));
        assertEquals(7, state.read(0).getLong(0));
        assertEquals(7, units(snapshot(region, dir.resolve("copy")), 1, false)[0]);
        assertThrows(IndexOutOfBoundsException.class, () -> state.read(1));
    }

    @Test
    void aFileThatIsNoRegionIsRefusedWithItsName(@TempDir Path dir) throws Exception {
        Path other = Files.writeString(dir.resolve("other"), "x".repeat(20_000));
        IOException e = assertThrows(IOException.class, () -> WarmState.open(other));
        assertEquals(other + " is not a warm-state region: it does not start with BECKONWS", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WarmState.create(dir.resolve("odd"), 5000));
    }

    private static Path snapshot(Path region, Path copy) throws IOException {
        try (FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            WarmStateSnapshot.copy(region, out);
        }
        return copy;
    }

    /** The count in each of the first {@code count} units of a snapshot, after checking each unit is whole. */
    private static long[] units(Path snapshot, int count) throws IOException {
        return units(snapshot, count, true);
    }

    private static long[] units(Path snapshot, int count, boolean filledByTheWriter) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(snapshot)).order(ByteOrder.LITTLE_ENDIAN);
        long units = WarmStateLayout.units(bytes, bytes.capacity(), snapshot);
        int data = (int) WarmStateLayout.dataOffset(units);
        long[] counts = new long[count];
        for (int unit = 0; unit < count; unit++) {
            int start = data + unit * WarmState.UNIT_BYTES;
            counts[unit] = bytes.getLong(start);
            for (int i = 8; filledByTheWriter && i < WarmState.UNIT_BYTES; i += 8) {
                assertEquals(counts[unit], bytes.getLong(start + i), "unit " + unit + " is half-written at byte " + i);
            }
            long version = bytes.getLong((int) WarmStateLayout.version(unit));
            assertEquals(0, version % 2, "a snapshot's unit is committed, its version even");
        }
        return counts;
    }

    /** A writer child process and the counts it acknowledged, per unit. */
    private record Writer(Process process, Map<Integer, Long> acknowledged, Thread reader) {
        static Writer start(Path region, int units) throws Exception {
            Process process = new ProcessBuilder(ChildJvm.command(List.of(), WarmStateWriter.class, region.toString(),
                    String.valueOf(units))).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            Map<Integer, Long> acknowledged = new ConcurrentHashMap<>();
            CountDownLatch open = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                        if (line.equals("open")) {
                            open.countDown();
                            continue;
                        }
                        String[] words = line.split(" ");
                        acknowledged.put(Integer.parseInt(words[0]), Long.parseLong(words[1]));
                    }
                } catch (IOException ended) {
                    // The writer was killed.
                }
            });
            reader.start();
            assertTrue(open.await(60, TimeUnit.SECONDS), "the writer did not open the region");
            return new Writer(process, acknowledged, reader);
        }

        void kill() throws InterruptedException {
            // SIGKILL through the handle: Process.destroyForcibly would also close the pipe before its last lines are read.
            process.toHandle().destroyForcibly();
            process.waitFor();
            reader.join();
        }
    }
}
