package dev.beckon.idle.bench;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What one begin/end pair costs on the hot path, alone and with two threads at it: {@code begin()}
 * and {@code end()}, a handle closed by try-with-resources, and a handle that escapes (kept by a
 * framework's close callback, so it is allocated and closed through its once-only flag); next to
 * the obvious alternative (one shared {@code AtomicLong}) that the monitor does not use.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BeginEndBenchmark {
    private IdleMonitor monitor;
    private final AtomicLong shared = new AtomicLong();

    @Setup
    public void start() throws IOException {
        // Standalone (nothing inherited, no address): the same counters, no threads.
        monitor = IdleMonitor.builder().handleSigterm(false).start();
    }

    @Benchmark
    @Threads(1)
    public void beginEndOneThread() {
        monitor.begin();
        monitor.end();
    }

    @Benchmark
    @Threads(2)
    public void beginEndTwoThreads() {
        monitor.begin();
        monitor.end();
    }

    @Benchmark
    @Threads(1)
    public void tryWithResourcesOneThread() {
        try (IdleMonitor.Activity request = monitor.begin()) {
            // The request would be handled here.
        }
    }

    @Benchmark
    @Threads(2)
    public void tryWithResourcesTwoThreads() {
        try (IdleMonitor.Activity request = monitor.begin()) {
            // The request would be handled here.
        }
    }

    /** The handle kept somewhere (a framework's close callback), so it really is allocated. */
    @Benchmark
    @Threads(1)
    public void handleThatEscapesOneThread(Blackhole keeper) {
        IdleMonitor.Activity connection = monitor.begin();
        keeper.consume(connection);
        connection.close();
    }

    @Benchmark
    @Threads(2)
    public void handleThatEscapesTwoThreads(Blackhole keeper) {
        IdleMonitor.Activity connection = monitor.begin();
        keeper.consume(connection);
        connection.close();
    }

    @Benchmark
    @Threads(1)
    public long sharedAtomicLongOneThread() {
        shared.incrementAndGet();
        return shared.decrementAndGet();
    }

    @Benchmark
    @Threads(2)
    public long sharedAtomicLongTwoThreads() {
        shared.incrementAndGet();
        return shared.decrementAndGet();
    }
}
