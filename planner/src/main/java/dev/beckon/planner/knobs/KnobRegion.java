package dev.beckon.planner.knobs;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.models.Knob;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A service's knob region: a small file of fixed size that the service maps and reads with one load per knob, and
 * that {@code beckon knob set} changes in place while the service runs (README, "Runtime knobs", has the layout).
 *
 * <pre>
 * offset 0       8 bytes   magic "BECKNOBS"
 * offset 8       u32       layout version, 1
 * offset 12      u32       N, the number of knobs
 * offset 16      u64       layout hash: the first 8 bytes of SHA-256 over the layout text, little-endian
 * offset 24      u32       L, the layout text's length in bytes
 * offset 28      u32       0
 * offset 32      N x i64   the slots: knob i at 32 + 8 i (bool 0/1, int itself, enum the index of its value)
 * offset 32+8N   L bytes   the layout text: line i ("NAME bool", "NAME int MIN MAX", "NAME enum V0 V1 ...") for slot i
 * </pre>
 * Every number is little-endian; the file's size is 32 + 8N + L rounded up to a multiple of 8.
 */
public final class KnobRegion {
    static final byte[] MAGIC = "BECKNOBS".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** Where the slots start: slot i is at {@code HEADER + 8 i}. */
    public static final int HEADER = 32;
    private static final VarHandle SLOT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private KnobRegion() {}

    /** What a deployment did to a region. */
    public record Prepared(boolean created, boolean layoutChanged, List<String> carriedOver) {}

    /** The layout text of {@code knobs}: one line per knob, each ending in a newline. */
    public static String layoutText(List<Knob> knobs) {
        StringBuilder text = new StringBuilder();
        knobs.forEach(k -> text.append(k.layoutLine()).append('\n'));
        return text.toString();
    }

    public static long layoutHash(String layoutText) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(layoutText.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java has no SHA-256", e);
        }
    }

    /** The region's bytes for {@code knobs} with {@code slots} as their values. */
    static byte[] image(List<Knob> knobs, long[] slots) {
        byte[] text = layoutText(knobs).getBytes(StandardCharsets.UTF_8);
        int size = (HEADER + 8 * knobs.size() + text.length + 7) & ~7;
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(MAGIC).putInt(VERSION).putInt(knobs.size()).putLong(layoutHash(layoutText(knobs))).putInt(text.length).putInt(0);
        for (long slot : slots) {
            buffer.putLong(slot);
        }
        buffer.put(text);
        return buffer.array();
    }

    /**
     * Makes the region for a deployment: a new one holds the defaults; one with the same layout is kept as it is,
     * values and all (the running service keeps its mapping); one with another layout is replaced, atomically, by
     * one that carries over each value whose knob kept its name and type and still accepts it.
     */
    public static Prepared prepare(Path file, List<Knob> knobs) throws IOException {
        SafeDirectories.ensure(file.getParent());
        Optional<Map<String, String>> old = readValues(file);
        long[] slots = new long[knobs.size()];
        List<String> carried = new ArrayList<>();
        for (int i = 0; i < knobs.size(); i++) {
            Knob knob = knobs.get(i);
            slots[i] = knob.defaultValue();
            String value = old.map(values -> values.get(knob.type() + " " + knob.name())).orElse(null);
            if (value != null) {
                try {
                    slots[i] = knob.parse(value);
                    carried.add(knob.name() + "=" + value);
                } catch (IllegalArgumentException notAValueAnyMore) {
                    // Its range or values changed so that the old value is none of them: it starts at its default.
                }
            }
        }
        if (old.isPresent() && sameLayout(file, knobs)) {
            return new Prepared(false, false, carried);
        }
        AtomicFiles.write(file, image(knobs, slots), AtomicFiles.READABLE);
        return new Prepared(old.isEmpty(), old.isPresent(), carried);
    }

    /** The current values of a region whose layout is that of {@code knobs}, by knob name, as text. */
    public static Map<String, String> read(Path file, List<Knob> knobs) throws IOException {
        try (FileChannel channel = open(file, knobs, false)) {
            MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < knobs.size(); i++) {
                values.put(knobs.get(i).name(), knobs.get(i).format((long) SLOT.getAcquire(buffer, HEADER + 8 * i)));
            }
            return values;
        }
    }

    /**
     * Sets one knob in place, with a release store the service's acquire load pairs with, and makes it durable.
     *
     * @throws IllegalArgumentException when there is no such knob or the value is not one of its values
     */
    public static void set(Path file, List<Knob> knobs, String name, String value) throws IOException {
        int index = indexOf(knobs, name);
        long slot = knobs.get(index).parse(value);
        try (FileChannel channel = open(file, knobs, true)) {
            MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            SLOT.setRelease(buffer, HEADER + 8 * index, slot);
            buffer.force();
        }
    }

    /** The slot of knob {@code name}; the message lists the knobs there are. */
    public static int indexOf(List<Knob> knobs, String name) {
        for (int i = 0; i < knobs.size(); i++) {
            if (knobs.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no knob " + dev.beckon.models.Messages.quote(name) + "; its knobs are "
                + String.join(", ", knobs.stream().map(Knob::name).toList()));
    }

    private static boolean sameLayout(Path file, List<Knob> knobs) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        byte[] wanted = image(knobs, new long[knobs.size()]);
        return bytes.length == wanted.length && Arrays.equals(bytes, 0, HEADER, wanted, 0, HEADER)
                && Arrays.equals(bytes, HEADER + 8 * knobs.size(), bytes.length, wanted, HEADER + 8 * knobs.size(), wanted.length);
    }

    private static FileChannel open(Path file, List<Knob> knobs, boolean write) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(file + " (the knob region is made by the deployment; deploy again)");
        }
        if (!sameLayout(file, knobs)) {
            throw new IOException("the knob region " + file + " has another layout than the deployed service declares;"
                    + " deploy again to bring it up to date");
        }
        return write ? SafeDirectories.openNoFollow(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : SafeDirectories.openNoFollow(file, StandardOpenOption.READ);
    }

    /**
     * An existing region's values as text by {@code "TYPE NAME"}, read through its own layout text (so an enum's value
     * is carried by its name, not its index); empty when there is none, no entries when it is no knob region.
     */
    private static Optional<Map<String, String>> readValues(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (buffer.capacity() < HEADER || !Arrays.equals(Arrays.copyOf(buffer.array(), 8), MAGIC) || buffer.getInt(8) != VERSION) {
            return Optional.of(Map.of());
        }
        int count = buffer.getInt(12);
        int textLength = buffer.getInt(24);
        if (count < 0 || textLength < 0 || (long) HEADER + 8L * count + textLength > buffer.capacity()) {
            return Optional.of(Map.of());
        }
        String[] lines = new String(buffer.array(), HEADER + 8 * count, textLength, StandardCharsets.UTF_8).split("\n");
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(count, lines.length); i++) {
            String[] words = lines[i].split(" ");
            long slot = buffer.getLong(HEADER + 8 * i);
            if (words.length < 2) {
                continue;
            }
            switch (words[1]) {
                case Knob.BOOL -> values.put("bool " + words[0], slot == 1 ? "true" : "false");
                case Knob.INT -> values.put("int " + words[0], String.valueOf(slot));
                case Knob.ENUM -> {
                    if (slot >= 0 && slot < words.length - 2) {
                        values.put("enum " + words[0], words[(int) slot + 2]);
                    }
                }
                default -> { }
            }
        }
        return Optional.of(values);
    }
}
