package dev.beckon.idle.bench;

import dev.beckon.idle.KnobRegions;
import dev.beckon.idle.Knobs;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one knob read costs a service: a handle's read (one acquire load from the mapped region), the enum's value
 * through its index, and the read by name (a map lookup first); next to a plain field read, for scale, and to a
 * volatile load of the same slot through {@code sun.misc.Unsafe} by raw address (no checks at all): what the
 * VarHandle's own checks (the buffer's limit, its memory session, the slot's alignment) cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KnobReadBenchmark {
    private Knobs knobs;
    private Knobs.IntKnob limit;
    private Knobs.EnumKnob level;
    private long field = 42;
    private ByteBuffer mapped;
    private long limitAddress;
    private sun.misc.Unsafe unsafe;

    @Setup
    public void map() throws IOException {
        Path file = Files.createTempFile("knobs", ".region");
        file.toFile().deleteOnExit();
        KnobRegions.write(file, List.of("log-level enum debug info warn", "limit int 1 100"), 1, 42);
        knobs = Knobs.open(file);
        limit = knobs.intKnob("limit");
        level = knobs.enumKnob("log-level");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        try {
            Field instance = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            instance.setAccessible(true);
            unsafe = (sun.misc.Unsafe) instance.get(null);
            long address = unsafe.getLong(mapped, unsafe.objectFieldOffset(Buffer.class.getDeclaredField("address")));
            limitAddress = address + 32 + 8; // the second slot, "limit"
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        if (unsafe.getLongVolatile(null, limitAddress) != limit.get()) {
            throw new IllegalStateException("the raw address does not point at the knob's slot");
        }
    }

    @Benchmark
    public long intKnob() {
        return limit.get();
    }

    @Benchmark
    public String enumKnobValue() {
        return level.get();
    }

    @Benchmark
    public long intByName() {
        return knobs.intValue("limit");
    }

    @Benchmark
    public long unsafeRawAddress() {
        return unsafe.getLongVolatile(null, limitAddress);
    }

    @Benchmark
    public long plainField() {
        return field;
    }
}
