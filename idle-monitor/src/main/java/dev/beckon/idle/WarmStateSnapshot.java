package dev.beckon.idle;

import static dev.beckon.idle.WarmStateLayout.JOURNAL_OFFSET;
import static dev.beckon.idle.WarmStateLayout.JOURNAL_SEQUENCE;
import static dev.beckon.idle.WarmStateLayout.JOURNAL_UNIT;
import static dev.beckon.idle.WarmStateLayout.LONGS;
import static dev.beckon.idle.WarmStateLayout.UNIT_SIZE;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Copies a warm-state region while its service may be writing it, or may have been killed in the middle of a
 * write, and keeps only committed content: the copy is itself a region, as if its writer had never been
 * interrupted, that a service opens as it is.
 *
 * <p>Each unit is read as a seqlock: its version before, the bytes, its version after. An even version that did
 * not change means the bytes are what that transaction committed. An odd one means the writer is copying a
 * committed transaction into the unit (or was killed doing so); then that content is in the journal, read the same
 * way under the journal's sequence. A unit the writer changed meanwhile is read again. The writer never waits and
 * never knows: the snapshotter only reads.
 *
 * <p>Each unit is consistent on its own, as its last transaction left it; the copy is not one instant of the whole
 * region (units changed while it ran are taken as they were when it reached them). A service whose record spans
 * several units keeps a sequence in each, or fits the record in one unit.
 */
public final class WarmStateSnapshot {
    private WarmStateSnapshot() {}

    /** What a snapshot holds. */
    public record Copied(long units, long highestSequence) {}

    /**
     * Writes the committed content of the region in {@code source} to {@code destination} (from position 0, which it
     * leaves open and does not force).
     *
     * @throws IOException when {@code source} is not a region or cannot be read, or the destination cannot be written
     */
    public static Copied copy(Path source, FileChannel destination) throws IOException {
        MappedByteBuffer region;
        long size;
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(source + " is too large for a warm-state region (" + size + " bytes)");
            }
            region = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        region.order(ByteOrder.LITTLE_ENDIAN);
        long units = WarmStateLayout.units(region, size, source);
        int dataOffset = (int) WarmStateLayout.dataOffset(units);
        ByteBuffer versions = ByteBuffer.allocate((int) (dataOffset - WarmStateLayout.VERSIONS_OFFSET)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer unitCopy = ByteBuffer.allocate(UNIT_SIZE);
        long highest = 0;
        for (long unit = 0; unit < units; unit++) {
            long version = copyUnit(region, unit, dataOffset, unitCopy);
            versions.putLong((int) (unit * 8), version);
            highest = Math.max(highest, version / 2);
            // A unit never written is zeros: left a hole in the copy (the last one is written, for the file's size).
            if (version != 0 || unit == units - 1) {
                writeFully(destination, unitCopy.clear(), dataOffset + unit * UNIT_SIZE);
            }
        }
        writeFully(destination, WarmStateLayout.header(units), 0);
        ByteBuffer commit = ByteBuffer.allocate(WarmStateLayout.PAGE).order(ByteOrder.LITTLE_ENDIAN);
        commit.putLong((int) (JOURNAL_SEQUENCE - WarmStateLayout.COMMIT_OFFSET), 2 * highest)
                .putLong((int) (WarmStateLayout.APPLIED - WarmStateLayout.COMMIT_OFFSET), highest);
        writeFully(destination, commit, WarmStateLayout.COMMIT_OFFSET);
        writeFully(destination, ByteBuffer.allocate(UNIT_SIZE), JOURNAL_OFFSET);
        writeFully(destination, versions, WarmStateLayout.VERSIONS_OFFSET);
        return new Copied(units, highest);
    }

    /** The highest transaction sequence a snapshot (a region no process writes) holds: its applied sequence. */
    public static long highestSequence(Path snapshot) throws IOException {
        try (FileChannel channel = FileChannel.open(snapshot, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer applied = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(applied, WarmStateLayout.APPLIED);
            return applied.getLong(0);
        }
    }

    /** Copies the committed content of one unit into {@code into}; returns the even version it has there. */
    private static long copyUnit(ByteBuffer region, long unit, int dataOffset, ByteBuffer into) {
        int version = (int) WarmStateLayout.version(unit);
        int offset = dataOffset + (int) unit * UNIT_SIZE;
        for (int attempt = 0; ; attempt++) {
            long before = (long) LONGS.getAcquire(region, version);
            if (before % 2 == 0) {
                into.put(0, region, offset, UNIT_SIZE);
                VarHandle.acquireFence();
                if ((long) LONGS.getAcquire(region, version) == before) {
                    return before;
                }
            } else {
                long journal = (long) LONGS.getAcquire(region, (int) JOURNAL_SEQUENCE);
                long journalUnit = (long) LONGS.getAcquire(region, (int) JOURNAL_UNIT);
                if (journal == before - 1 && journalUnit == unit) {
                    into.put(0, region, (int) JOURNAL_OFFSET, UNIT_SIZE);
                    VarHandle.acquireFence();
                    if ((long) LONGS.getAcquire(region, (int) JOURNAL_SEQUENCE) == journal) {
                        return journal;
                    }
                }
            }
            // The writer moved on while this copied; it never waits, so this tries again, yielding now and then.
            if (attempt % 64 == 63) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        buffer.position(0);
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }
}
