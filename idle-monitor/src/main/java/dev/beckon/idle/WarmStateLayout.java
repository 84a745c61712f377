package dev.beckon.idle;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where everything sits in a warm-state region file (all numbers little-endian, every word 8-byte aligned):
 *
 * <pre>
 * 0      header page   magic "BECKONWS", u32 layout version (1), u32 unit size (4096), u64 unit count
 * 4096   commit page   u64 journal sequence J: odd while the journal is being written, 2s once
 *                      transaction s is committed; u64 the unit the journal is for; u64 applied A: the
 *                      last transaction copied into its unit
 * 8192   journal       one unit: the new content of the transaction in flight
 * 12288  versions      u64 per unit: 2s = holds what transaction s committed; 2s+1 = being overwritten
 *                      with transaction s, whose content is in the journal (rounded up to a page)
 * ...    units         unit count × unit size bytes, the service's data
 * </pre>
 *
 * One class holds the layout, so the writer ({@link WarmState}), the snapshotter ({@link WarmStateSnapshot}) and
 * beckon, which creates regions on the target, cannot disagree.
 */
final class WarmStateLayout {
    static final long MAGIC = 0x5357_4e4f_4b43_4542L; // "BECKONWS" read as a little-endian long
    static final int VERSION = 1;
    static final int UNIT_SIZE = 4096;
    static final int PAGE = 4096;
    static final long COMMIT_OFFSET = PAGE;
    static final long JOURNAL_SEQUENCE = COMMIT_OFFSET;
    static final long JOURNAL_UNIT = COMMIT_OFFSET + 8;
    static final long APPLIED = COMMIT_OFFSET + 16;
    static final long JOURNAL_OFFSET = 2L * PAGE;
    static final long VERSIONS_OFFSET = 3L * PAGE;
    /** One mapping holds the whole region; a Java buffer is indexed by int. */
    static final long MAX_CAPACITY = 1L << 30;

    static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private WarmStateLayout() {}

    static long dataOffset(long units) {
        return VERSIONS_OFFSET + roundUpToPage(units * 8);
    }

    static long fileSize(long units) {
        return dataOffset(units) + units * UNIT_SIZE;
    }

    static long version(long unit) {
        return VERSIONS_OFFSET + unit * 8;
    }

    static long roundUpToPage(long bytes) {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }

    /** A header for a region of {@code units} units. */
    static ByteBuffer header(long units) {
        ByteBuffer header = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(0, MAGIC).putInt(8, VERSION).putInt(12, UNIT_SIZE).putLong(16, units);
        return header;
    }

    /**
     * The unit count the header at the start of {@code region} declares, checked against the file's size.
     *
     * @throws IOException naming the file, when it is not a warm-state region of this layout
     */
    static long units(ByteBuffer region, long fileSize, Object file) throws IOException {
        if (fileSize < VERSIONS_OFFSET) {
            throw new IOException(file + " is not a warm-state region: it is too short (" + fileSize + " bytes)");
        }
        ByteBuffer header = region.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (header.getLong(0) != MAGIC) {
            throw new IOException(file + " is not a warm-state region: it does not start with BECKONWS");
        }
        if (header.getInt(8) != VERSION || header.getInt(12) != UNIT_SIZE) {
            throw new IOException(file + " is a warm-state region of layout " + header.getInt(8) + " with units of "
                    + header.getInt(12) + " bytes; this library reads layout " + VERSION + " with units of " + UNIT_SIZE);
        }
        long units = header.getLong(16);
        if (units < 1 || units * UNIT_SIZE > MAX_CAPACITY || fileSize(units) != fileSize) {
            throw new IOException(file + " is a damaged warm-state region: its header declares " + units
                    + " units, which do not fit its " + fileSize + " bytes");
        }
        return units;
    }
}
