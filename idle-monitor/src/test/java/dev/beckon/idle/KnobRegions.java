package dev.beckon.idle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Knob regions for tests, written byte by byte from the layout as beckon's README documents it (not with beckon's
 * own writer, which the idle-monitor does not know): what a service in any language would find.
 */
public final class KnobRegions {
    private KnobRegions() {}

    /** A region with {@code lines} as its layout text and {@code slots} as its values. */
    public static Path write(Path file, List<String> lines, long... slots) throws IOException {
        byte[] text = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        int size = (32 + 8 * slots.length + text.length + 7) & ~7;
        ByteBuffer region = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        region.put("BECKNOBS".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(slots.length)
                .putLong(0x1234_5678_9abc_def0L).putInt(text.length).putInt(0);
        for (long slot : slots) {
            region.putLong(slot);
        }
        region.put(text);
        return Files.write(file, region.array());
    }
}
