package dev.beckon.idle.bench;

import dev.beckon.idle.WarmState;
import dev.beckon.idle.WarmStateSnapshot;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a snapshot of a warm-state region costs, and what it costs the writer: the part of {@code beckon snapshot}
 * that grows with the region (the consistent copy, then the fsync of the copy), for an empty region, a region whose
 * every unit was written, and the same while a writer updates it all the while; then the writer's {@code update}
 * with and without a snapshot running. Run: {@code SnapshotCostProbe [MiB] [rounds] [directory]} (default 64, 5, the
 * temporary directory: put it on the file system of beckon's state directory to measure that one).
 */
public final class SnapshotCostProbe {
    private SnapshotCostProbe() {}

    public static void main(String[] args) throws Exception {
        long mebibytes = args.length > 0 ? Long.parseLong(args[0]) : 64;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path directory = Files.createTempDirectory(args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir")),
                "snapshot-probe");
        Path region = directory.resolve("state");
        try {
            WarmState.create(region, mebibytes << 20);
            WarmState state = WarmState.open(region);
            System.out.printf("region of %d MiB (%d units of %d bytes) in %s%n", mebibytes, state.units(), WarmState.UNIT_BYTES, directory);
            report("snapshot, region never written", snapshotTimes(region, directory, rounds));

            for (long unit = 0; unit < state.units(); unit++) {
                long value = unit;
                state.update(unit, bytes -> bytes.putLong(0, value));
            }
            report("snapshot, every unit written", snapshotTimes(region, directory, rounds));

            long[] quietUpdates = updateTimes(state, 200_000, new AtomicBoolean(true));
            AtomicBoolean snapshotting = new AtomicBoolean(true);
            AtomicLong writerUpdates = new AtomicLong();
            long[][] busyUpdates = new long[1][];
            Thread writer = new Thread(() -> {
                busyUpdates[0] = updateTimes(state, Integer.MAX_VALUE, snapshotting);
                writerUpdates.set(busyUpdates[0].length);
            });
            writer.start();
            long[] whileWriting = snapshotTimes(region, directory, rounds);
            snapshotting.set(false);
            writer.join();
            report("snapshot, every unit written, a writer updating all the while", whileWriting);
            System.out.printf("update (one transaction of one unit), alone: median %.2f us, p99 %.2f us%n",
                    median(quietUpdates) / 1e3, percentile(quietUpdates, 99) / 1e3);
            System.out.printf("update while the snapshots ran (%,d updates): median %.2f us, p99 %.2f us, max %.2f ms%n",
                    writerUpdates.get(), median(busyUpdates[0]) / 1e3, percentile(busyUpdates[0], 99) / 1e3,
                    busyUpdates[0][busyUpdates[0].length - 1] / 1e6);
        } finally {
            try (var entries = Files.list(directory)) {
                for (Path entry : entries.toList()) {
                    Files.deleteIfExists(entry);
                }
            }
            Files.deleteIfExists(directory);
        }
    }

    /** Each round: the consistent copy into a new file, then its fsync, as {@code Snapshots.take} does. */
    private static long[] snapshotTimes(Path region, Path directory, int rounds) throws IOException {
        long[] times = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            Path copy = directory.resolve("snapshot-" + round);
            long start = System.nanoTime();
            try (FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                WarmStateSnapshot.copy(region, out);
                out.force(true);
            }
            times[round] = System.nanoTime() - start;
            Files.delete(copy);
        }
        return times;
    }

    /** Times updates of units in turn, as many as {@code limit} or until {@code running} turns false; sorted. */
    private static long[] updateTimes(WarmState state, int limit, AtomicBoolean running) {
        long[] times = new long[1 << 16];
        int count = 0;
        for (long unit = 0; count < limit && running.get(); unit = (unit + 1) % state.units()) {
            long start = System.nanoTime();
            state.update(unit, bytes -> bytes.putLong(8, bytes.getLong(8) + 1));
            long took = System.nanoTime() - start;
            if (count == times.length) {
                times = Arrays.copyOf(times, times.length * 2);
            }
            times[count++] = took;
        }
        long[] sorted = Arrays.copyOf(times, count);
        Arrays.sort(sorted);
        return sorted;
    }

    private static void report(String what, long[] times) {
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        System.out.printf("%s, %d rounds: median %.0f ms, min %.0f ms, max %.0f ms%n", what, sorted.length,
                median(sorted) / 1e6, sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    private static double median(long[] sorted) {
        return sorted[sorted.length / 2];
    }

    private static double percentile(long[] sorted, int percent) {
        return sorted[(int) Math.min(sorted.length - 1, (long) sorted.length * percent / 100)];
    }
}
