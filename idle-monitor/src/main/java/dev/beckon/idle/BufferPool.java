package dev.beckon.idle;

import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Fixed-size direct buffers, one per place of the connection bound, all allocated when the monitor
 * starts ({@link IdleMonitor.Builder#connectionBuffers}): memory for connections is then taken once
 * and never grows, however many clients come. Take one for a connection, give it back when the
 * connection ends:
 *
 * <pre>{@code
 * ByteBuffer buffer = monitor.buffers().take();
 * try (client) {
 *     serve(client, buffer);
 * } finally {
 *     monitor.buffers().give(buffer);
 *     monitor.end();
 * }
 * }</pre>
 *
 * <p>A service that takes one buffer per connection it holds never waits in {@link #take()}: it holds
 * at most the bound's number of connections, and there are as many buffers. Taking and giving cost
 * no allocation (a preallocated queue of the buffers). The buffers are slices of a few large direct
 * allocations, which count against the JVM's {@code -XX:MaxDirectMemorySize} (the heap's maximum by
 * default).
 */
public final class BufferPool {
    /** Slices per direct allocation stay under this, well inside a ByteBuffer's int capacity. */
    private static final int CHUNK_LIMIT = 1 << 30;

    private final int bufferSize;
    private final int count;
    private final ArrayBlockingQueue<ByteBuffer> free;
    /** Every buffer of the pool, and whether it is out; read-only map, flags guarded by {@code this}. */
    private final Map<ByteBuffer, boolean[]> out = new IdentityHashMap<>();

    private BufferPool(int bufferSize, int count) {
        this.bufferSize = bufferSize;
        this.count = count;
        this.free = new ArrayBlockingQueue<>(count);
        int perChunk = Math.max(1, CHUNK_LIMIT / bufferSize);
        for (int allocated = 0; allocated < count; ) {
            int slices = Math.min(perChunk, count - allocated);
            ByteBuffer chunk = ByteBuffer.allocateDirect(slices * bufferSize);
            for (int i = 0; i < slices; i++) {
                ByteBuffer slice = chunk.slice(i * bufferSize, bufferSize);
                out.put(slice, new boolean[1]);
                free.add(slice);
            }
            allocated += slices;
        }
    }

    /**
     * A pool of {@code count} buffers of {@code bufferSize} bytes, allocated now.
     *
     * @throws IllegalArgumentException when either is not positive
     * @throws OutOfMemoryError when the direct memory does not suffice, as for any direct buffer
     */
    static BufferPool allocate(int count, int bufferSize) {
        if (count < 1 || bufferSize < 1) {
            throw new IllegalArgumentException("a buffer pool needs at least one buffer of at least one byte, not " + count + " of "
                    + bufferSize);
        }
        return new BufferPool(bufferSize, count);
    }

    /**
     * A free buffer, cleared (position 0, limit its size); waits while every buffer is out.
     *
     * @throws InterruptedException when the thread is interrupted while it waits
     */
    public ByteBuffer take() throws InterruptedException {
        ByteBuffer buffer = free.take();
        synchronized (this) {
            out.get(buffer)[0] = true;
        }
        return buffer.clear();
    }

    /**
     * Gives a buffer back. Do not use it afterwards: another connection gets it.
     *
     * @throws IllegalArgumentException when it is not one of this pool's buffers (a duplicate or
     *     slice of one is not), or is not out (given back twice)
     */
    public void give(ByteBuffer buffer) {
        boolean[] isOut = out.get(buffer);
        if (isOut == null) {
            throw new IllegalArgumentException("not a buffer of this pool: " + buffer);
        }
        synchronized (this) {
            if (!isOut[0]) {
                throw new IllegalArgumentException("this buffer was given back already: " + buffer);
            }
            isOut[0] = false;
        }
        free.add(buffer);
    }

    /** The size of each buffer, in bytes. */
    public int bufferSize() {
        return bufferSize;
    }

    /** How many buffers the pool has: the connection bound. */
    public int buffers() {
        return count;
    }

    /** How many are free now; for monitoring, since it may change at once. */
    public int available() {
        return free.size();
    }
}
