package dev.beckon.idle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's runtime knobs: the region that beckon made for it and names in {@code BECKON_KNOBS}, mapped read-only.
 * {@code beckon knob set} changes a value in place with a release store; each read here is one acquire load of its
 * 64-bit slot, cheap enough for every request or log line. Take a handle once ({@link #enumKnob}, {@link #intKnob},
 * {@link #boolKnob}) and read it on the hot path; the by-name reads look the knob up first.
 *
 * <p>The layout (beckon's README, "Runtime knobs"): a 32-byte header (magic {@code BECKNOBS}, version 1, the number
 * of knobs N, a layout hash, the layout text's length L), then N little-endian 64-bit slots, then the layout text, one
 * line {@code NAME TYPE [ARGS]} per slot.
 */
public final class Knobs {
    /** The environment variable beckon sets to the region's path. */
    public static final String VARIABLE = "BECKON_KNOBS";
    private static final byte[] MAGIC = "BECKNOBS".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int HEADER = 32;
    private static final Knobs NONE = new Knobs(null, Map.of(), "no " + VARIABLE + " in the environment: the service was not"
            + " deployed by beckon with [services.NAME.knobs]");
    private static volatile Knobs fromEnvironment;

    private final MappedByteBuffer region;
    private final Map<String, Slot> slots;
    private final String where;

    private record Slot(int offset, String type, List<String> values) {}

    private Knobs(MappedByteBuffer region, Map<String, Slot> slots, String where) {
        this.region = region;
        this.slots = slots;
        this.where = where;
    }

    /**
     * The knobs of {@code BECKON_KNOBS}, mapped once per process; none when it is not set.
     *
     * @throws UncheckedIOException when it names no readable knob region
     */
    public static Knobs fromEnvironment() {
        Knobs knobs = fromEnvironment;
        if (knobs == null) {
            synchronized (Knobs.class) {
                knobs = fromEnvironment;
                if (knobs == null) {
                    String path = System.getenv(VARIABLE);
                    try {
                        knobs = path == null || path.isEmpty() ? NONE : open(Path.of(path));
                    } catch (IOException e) {
                        throw new UncheckedIOException(VARIABLE + "=" + path + " names no knob region beckon made: " + e.getMessage(), e);
                    }
                    fromEnvironment = knobs;
                }
            }
        }
        return knobs;
    }

    /** Maps the knob region at {@code file}, read-only. */
    public static Knobs open(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HEADER || size > 1 << 20) {
                throw new IOException(file + " is " + size + " bytes, no knob region");
            }
            MappedByteBuffer region = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            ByteBuffer header = region.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            header.get(magic);
            if (!Arrays.equals(magic, MAGIC) || header.getInt(8) != VERSION) {
                throw new IOException(file + " is no knob region of layout version " + VERSION);
            }
            int count = header.getInt(12);
            int textLength = header.getInt(24);
            if (count < 0 || textLength < 0 || HEADER + 8L * count + textLength > size) {
                throw new IOException(file + " is a damaged knob region: its header says more than its " + size + " bytes hold");
            }
            byte[] text = new byte[textLength];
            header.get(HEADER + 8 * count, text);
            String[] lines = new String(text, StandardCharsets.UTF_8).split("\n");
            Map<String, Slot> slots = new LinkedHashMap<>();
            for (int i = 0; i < count && i < lines.length; i++) {
                String[] words = lines[i].split(" ");
                List<String> values = words.length > 2 ? List.of(words).subList(2, words.length) : List.of();
                slots.put(words[0], new Slot(HEADER + 8 * i, words.length > 1 ? words[1] : "", values));
            }
            return new Knobs(region, slots, file.toString());
        }
    }

    /** The knobs' names, in slot order. */
    public List<String> names() {
        return new ArrayList<>(slots.keySet());
    }

    public boolean has(String name) {
        return slots.containsKey(name);
    }

    public EnumKnob enumKnob(String name) {
        Slot slot = slot(name, "enum");
        return new EnumKnob(region, slot.offset(), slot.values().toArray(String[]::new));
    }

    public IntKnob intKnob(String name) {
        return new IntKnob(region, slot(name, "int").offset());
    }

    public BoolKnob boolKnob(String name) {
        return new BoolKnob(region, slot(name, "bool").offset());
    }

    /** An enum knob's value now, looked up by name. */
    public String enumValue(String name) {
        return enumKnob(name).get();
    }

    public long intValue(String name) {
        return intKnob(name).get();
    }

    public boolean boolValue(String name) {
        return boolKnob(name).get();
    }

    private Slot slot(String name, String type) {
        Slot slot = slots.get(name);
        if (slot == null) {
            throw new IllegalArgumentException("no knob " + name + " in " + where + (slots.isEmpty() ? "" : "; its knobs: "
                    + String.join(", ", slots.keySet())));
        }
        if (!slot.type().equals(type)) {
            throw new IllegalArgumentException("knob " + name + " is " + (slot.type().equals("int") ? "an " : "a ") + slot.type()
                    + ", not " + (type.equals("int") ? "an " : "a ") + type);
        }
        return slot;
    }

    /** A slot of a region, read with one acquire load. */
    private static long load(ByteBuffer region, int offset, long address) {
        if (RawSlots.AVAILABLE) {
            long value = RawSlots.load(address);
            // The buffer owns the mapping: it must not be collected (and unmapped) before the load.
            Reference.reachabilityFence(region);
            return value;
        }
        return (long) SlotHandle.SLOT.getAcquire(region, offset);
    }

    /**
     * The VarHandle over a region, in a class of its own: making one costs a cold start about a millisecond, and it is
     * read only where Unsafe is not ({@link RawSlots}).
     */
    private static final class SlotHandle {
        static final VarHandle SLOT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

        private SlotHandle() {}
    }

    /**
     * Slots read by their address, one volatile load each ({@code sun.misc.Unsafe}, module {@code jdk.unsupported}),
     * where that is allowed without a warning: the VarHandle over the buffer checks the buffer's limit, its memory
     * session and the slot's alignment on every read, which measured 3 to 4 times a plain field read (JMH,
     * KnobReadBenchmark), against the 2 ns a knob read may cost. The checks are done once instead, when the region is
     * opened: every slot lies inside the mapping, 8-byte aligned (the mapping is page-aligned, the slots at 32 + 8i).
     * JDKs from 23 on warn about Unsafe's memory access, so there the VarHandle reads, as it does wherever Unsafe or the
     * buffer's address cannot be had. {@link #AVAILABLE} is a constant, so the JIT keeps one of the two reads only.
     */
    private static final class RawSlots {
        static final boolean AVAILABLE;
        private static final sun.misc.Unsafe UNSAFE;
        private static final long ADDRESS_FIELD;

        static {
            sun.misc.Unsafe unsafe = null;
            long addressField = -1;
            if (Runtime.version().feature() < 23) {
                try {
                    java.lang.reflect.Field instance = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                    instance.setAccessible(true);
                    unsafe = (sun.misc.Unsafe) instance.get(null);
                    addressField = unsafe.objectFieldOffset(java.nio.Buffer.class.getDeclaredField("address"));
                } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                    unsafe = null;
                }
            }
            UNSAFE = unsafe;
            ADDRESS_FIELD = addressField;
            AVAILABLE = unsafe != null;
        }

        private RawSlots() {}

        /** The address of a slot of a direct buffer; -1 when slots are read through the VarHandle. */
        static long address(ByteBuffer region, int offset) {
            if (!AVAILABLE) {
                return -1;
            }
            if (!region.isDirect()) {
                throw new IllegalArgumentException("a knob region is a mapped file, not " + region);
            }
            return UNSAFE.getLong(region, ADDRESS_FIELD) + offset;
        }

        static long load(long address) {
            return UNSAFE.getLongVolatile(null, address);
        }
    }

    /** An enum knob: its slot holds the index of its value in the declared values. */
    public static final class EnumKnob {
        private final ByteBuffer region;
        private final int offset;
        private final long address;
        private final String[] values;

        EnumKnob(ByteBuffer region, int offset, String[] values) {
            this.region = region;
            this.offset = offset;
            this.address = RawSlots.address(region, offset);
            this.values = values;
        }

        /** The index of its value now: one acquire load. */
        public int index() {
            return (int) load(region, offset, address);
        }

        /** Its value now (one acquire load); beckon writes only indexes of declared values. */
        public String get() {
            return values[index()];
        }
    }

    /** An int knob, within its declared min and max. */
    public static final class IntKnob {
        private final ByteBuffer region;
        private final int offset;
        private final long address;

        IntKnob(ByteBuffer region, int offset) {
            this.region = region;
            this.offset = offset;
            this.address = RawSlots.address(region, offset);
        }

        /** Its value now: one acquire load. */
        public long get() {
            return load(region, offset, address);
        }
    }

    /** A bool knob: its slot holds 0 or 1. */
    public static final class BoolKnob {
        private final ByteBuffer region;
        private final int offset;
        private final long address;

        BoolKnob(ByteBuffer region, int offset) {
            this.region = region;
            this.offset = offset;
            this.address = RawSlots.address(region, offset);
        }

        /** Its value now: one acquire load. */
        public boolean get() {
            return load(region, offset, address) != 0;
        }
    }
}
