package dev.beckon.idle.bench;

import dev.beckon.idle.KnobRegions;
import dev.beckon.idle.Knobs;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * How long a knob change takes to become visible to the service: a writer stores a value into its own mapping of the
 * region the way {@code beckon knob set} does (a release store), a reader thread that reads the knob in a loop (as a
 * service reads it per request) through {@link Knobs} notes when it sees it. Run: {@code KnobVisibilityProbe [changes]}.
 */
public final class KnobVisibilityProbe {
    private static final VarHandle SLOT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private KnobVisibilityProbe() {}

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        Path file = Files.createTempFile("knobs", ".region");
        try {
            KnobRegions.write(file, List.of("value int 0 1000000000"), 0);
            Knobs.IntKnob value = Knobs.open(file).intKnob("value");
            AtomicLongArray seenAt = new AtomicLongArray(changes + 1);
            Thread reader = new Thread(() -> {
                long last = 0;
                while (last < changes) {
                    long now = value.get();
                    if (now != last) {
                        seenAt.set((int) now, System.nanoTime());
                        last = now;
                    }
                }
            });
            reader.setDaemon(true);
            reader.start();
            long[] latency = new long[changes];
            long stealBefore = stealTicks();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MappedByteBuffer writer = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
                for (int i = 1; i <= changes; i++) {
                    long storedAt = System.nanoTime();
                    SLOT.setRelease(writer, 32, (long) i);
                    // The writer sleeps while it waits, as `beckon knob set` (another process, gone once it wrote)
                    // does not hold a core: spinning here too kept both cores of a 2-core machine busy, and the
                    // reader, preempted by anything else runnable, waited out a scheduler slice (1-6 ms).
                    while (seenAt.get(i) == 0) {
                        LockSupport.parkNanos(20_000);
                    }
                    latency[i - 1] = seenAt.get(i) - storedAt;
                    LockSupport.parkNanos(100_000);
                }
            }
            Arrays.sort(latency);
            System.out.printf("knob change visible to a reading thread, %d changes: median %.2f us, p99 %.2f us, max %.2f us%n",
                    changes, latency[changes / 2] / 1e3, latency[changes * 99 / 100] / 1e3, latency[changes - 1] / 1e3);
            long steal = stealTicks() - stealBefore;
            if (steal > 0) {
                // A virtual machine's CPUs taken away by its host: the reader was not running, whatever it reads.
                System.out.printf("meanwhile the host took this machine's CPUs for %d ms (steal time in /proc/stat)%n", steal * 10);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The CPU time the host of a virtual machine took from it, in clock ticks (1/100 s), or 0 when unknown. */
    private static long stealTicks() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return fields.length > 8 ? Long.parseLong(fields[8]) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
