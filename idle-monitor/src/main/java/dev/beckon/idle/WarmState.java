package dev.beckon.idle;

import static dev.beckon.idle.WarmStateLayout.APPLIED;
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
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A service's warm state: a file beckon made on the target, mapped shared into the process, so its bytes outlive
 * the process (idle exit, restart, SIGKILL: the kernel's page cache holds them, and writes them back to the file).
 *
 * <p>The state is a row of units of {@link #UNIT_BYTES} bytes. {@link #update} changes one unit as a transaction:
 * the new content goes to a journal first, a commit sequence number is stored with release semantics (the commit
 * point), and only then is the unit overwritten. A process killed before the commit point leaves the unit as it
 * was; killed after it, the next {@link #open} finishes the copy from the journal. So after any SIGKILL every unit
 * holds what its last committed {@code update} wrote, and a service that answers a client only after
 * {@code update} returned never acknowledges what it then forgets.
 *
 * <p>beckon's snapshots ({@link WarmStateSnapshot}) read the region from another process while this one writes,
 * and copy only committed content; the writer never waits for them. One process writes a region at a time:
 * beckon's service manager runs one instance of the service.
 */
public final class WarmState {
    /** The environment variable holding the region's path, set by beckon for a service with {@code [services.X.state]}. */
    public static final String PATH_VARIABLE = "BECKON_STATE";
    /** How many bytes one unit, the granule of a transaction, holds. */
    public static final int UNIT_BYTES = UNIT_SIZE;

    private static final Map<Path, WarmState> OPENED = new ConcurrentHashMap<>();

    private final Path file;
    private final MappedByteBuffer region;
    private final long units;
    private final int dataOffset;

    private WarmState(Path file, MappedByteBuffer region, long units) {
        this.file = file;
        this.region = region;
        this.units = units;
        this.dataOffset = (int) WarmStateLayout.dataOffset(units);
    }

    /**
     * Makes an empty region of {@code capacity} bytes (a whole number of units) at {@code file}, which must not exist.
     * beckon does this when it deploys a service with warm state; a service only opens it.
     *
     * @throws IOException when the file exists or cannot be written
     * @throws IllegalArgumentException when the capacity is not a whole number of units from one unit to 1 GiB
     */
    public static void create(Path file, long capacity) throws IOException {
        long units = unitsFor(capacity);
        Path temporary = file.resolveSibling("." + file.getFileName() + ".new");
        Files.deleteIfExists(temporary);
        // Only its owner (beckon's user, whom the service runs as) reads what the service keeps.
        try (FileChannel channel = FileChannel.open(temporary, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
            channel.write(WarmStateLayout.header(units), 0);
            // The rest stays a hole of zeros: sequence 0 committed and applied, every unit version 0, all empty.
            channel.write(ByteBuffer.allocate(1), WarmStateLayout.fileSize(units) - 1);
            channel.force(true);
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The units a capacity holds; throws when it is not a whole number of them from one unit to 1 GiB. */
    public static long unitsFor(long capacity) {
        if (capacity < UNIT_SIZE || capacity > WarmStateLayout.MAX_CAPACITY || capacity % UNIT_SIZE != 0) {
            throw new IllegalArgumentException("a warm-state region holds a whole number of " + UNIT_SIZE
                    + "-byte units, from 4KiB to 1GiB; " + capacity + " bytes is not one");
        }
        return capacity / UNIT_SIZE;
    }

    /** The size of the file holding a region of {@code capacity} bytes: the units plus header, journal and versions. */
    public static long fileSize(long capacity) {
        return WarmStateLayout.fileSize(unitsFor(capacity));
    }

    /** The capacity of the region in {@code file}, read from its header. */
    public static long capacityOf(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer header = ByteBuffer.allocate(WarmStateLayout.PAGE);
            channel.read(header, 0);
            return WarmStateLayout.units(header.flip(), channel.size(), file) * UNIT_SIZE;
        }
    }

    /**
     * The region beckon handed this process in {@value #PATH_VARIABLE}, mapped once per process.
     *
     * @return empty when the variable is not set (the service declares no state, or runs outside beckon)
     * @throws IOException when the variable names no region this library can open
     */
    public static Optional<WarmState> fromEnvironment() throws IOException {
        String path = System.getenv(PATH_VARIABLE);
        if (path == null || path.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(open(Path.of(path)));
    }

    /**
     * Maps the region in {@code file} (once per process: a second call returns the same region) and finishes a
     * transaction a killed writer committed but did not copy into its unit.
     *
     * @throws IOException when the file is missing or not a region of this layout
     */
    public static WarmState open(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        WarmState known = OPENED.get(key);
        if (known != null) {
            return known;
        }
        synchronized (OPENED) {
            known = OPENED.get(key);
            if (known == null) {
                known = map(key);
                known.recover();
                OPENED.put(key, known);
            }
            return known;
        }
    }

    private static WarmState map(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(file + " is too large for a warm-state region (" + size + " bytes)");
            }
            MappedByteBuffer region = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            region.order(ByteOrder.LITTLE_ENDIAN);
            return new WarmState(file, region, WarmStateLayout.units(region, size, file));
        } catch (NoSuchFileException e) {
            throw new IOException("there is no warm-state region " + file + " (beckon makes it when it deploys the service)", e);
        }
    }

    /** Where the region is. */
    public Path file() {
        return file;
    }

    /** How many units the region holds. */
    public long units() {
        return units;
    }

    /**
     * A copy of what {@code unit} holds: its last committed content.
     *
     * @throws IndexOutOfBoundsException when there is no such unit
     */
    public synchronized ByteBuffer read(long unit) {
        ByteBuffer copy = ByteBuffer.allocate(UNIT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(0, region, unitOffset(unit), UNIT_SIZE);
        return copy;
    }

    /**
     * Changes {@code unit} as one transaction: {@code change} gets the unit's content (little-endian, position 0,
     * {@link #UNIT_BYTES} bytes) and changes it in place; when this returns, the change is committed and survives a
     * SIGKILL of the process. When {@code change} throws, nothing is committed. Transactions of one process run
     * one at a time.
     *
     * @throws IndexOutOfBoundsException when there is no such unit
     */
    public synchronized void update(long unit, Consumer<ByteBuffer> change) {
        int target = unitOffset(unit);
        long applied = (long) LONGS.getAcquire(region, (int) APPLIED);
        long next = applied + 1;
        ByteBuffer journal = region.slice((int) JOURNAL_OFFSET, UNIT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        // Odd: the journal is being written and holds nothing committed.
        LONGS.setRelease(region, (int) JOURNAL_SEQUENCE, 2 * next - 1);
        VarHandle.storeStoreFence();
        LONGS.setRelease(region, (int) JOURNAL_UNIT, unit);
        journal.put(0, region, target, UNIT_SIZE);
        try {
            change.accept(journal);
        } catch (RuntimeException | Error e) {
            LONGS.setRelease(region, (int) JOURNAL_SEQUENCE, 2 * applied);
            throw e;
        }
        // The commit point: from here on, the transaction happened, killed or not.
        LONGS.setRelease(region, (int) JOURNAL_SEQUENCE, 2 * next);
        copyJournalInto(unit, next);
    }

    /** Writes what the process changed back to the file now, for power loss; a SIGKILL or reboot does not need it. */
    public synchronized void force() {
        region.force();
    }

    /** Finishes or drops what a killed writer left in the journal. */
    private synchronized void recover() {
        long sequence = (long) LONGS.getAcquire(region, (int) JOURNAL_SEQUENCE);
        long applied = (long) LONGS.getAcquire(region, (int) APPLIED);
        if (sequence % 2 == 1) {
            // Killed before its commit point: the transaction did not happen.
            LONGS.setRelease(region, (int) JOURNAL_SEQUENCE, 2 * applied);
        } else if (sequence / 2 > applied) {
            long unit = (long) LONGS.getAcquire(region, (int) JOURNAL_UNIT);
            unitOffset(unit);
            copyJournalInto(unit, sequence / 2);
        }
    }

    private void copyJournalInto(long unit, long sequence) {
        int version = (int) WarmStateLayout.version(unit);
        // Odd: a snapshot reading this unit now takes the journal's copy instead.
        LONGS.setRelease(region, version, 2 * sequence + 1);
        VarHandle.storeStoreFence();
        region.put(unitOffset(unit), region, (int) JOURNAL_OFFSET, UNIT_SIZE);
        LONGS.setRelease(region, version, 2 * sequence);
        LONGS.setRelease(region, (int) APPLIED, sequence);
    }

    private int unitOffset(long unit) {
        if (unit < 0 || unit >= units) {
            throw new IndexOutOfBoundsException("unit " + unit + " of a warm-state region of " + units + " units");
        }
        return dataOffset + (int) unit * UNIT_SIZE;
    }
}
