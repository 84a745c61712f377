package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnobsTest {
    private static final VarHandle SLOT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void readsEachKnobOfADocumentedRegionAndSeesAValueWrittenInPlaceThroughAnotherMapping() throws IOException {
        Path file = KnobRegions.write(dir.resolve("knobs"), List.of("log-level enum debug info warn", "limit int 1 100", "draining bool"),
                1, 42, 0);
        Knobs knobs = Knobs.open(file);
        assertEquals(List.of("log-level", "limit", "draining"), knobs.names());
        Knobs.EnumKnob level = knobs.enumKnob("log-level");
        assertEquals("info", level.get());
        assertEquals(42, knobs.intValue("limit"));
        assertFalse(knobs.boolValue("draining"));

        // As beckon knob set does it: another mapping of the same file, a release store per slot.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer writer = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            SLOT.setRelease(writer, 32, 2L);
            SLOT.setRelease(writer, 48, 1L);
        }
        assertEquals("warn", level.get(), "the handle taken before sees the new value");
        assertEquals(2, level.index());
        assertTrue(knobs.boolKnob("draining").get());
    }

    @Test
    void anUnknownKnobOrTheWrongTypeIsRefusedWithWhatThereIs() throws IOException {
        Knobs knobs = Knobs.open(KnobRegions.write(dir.resolve("knobs"), List.of("limit int 1 100"), 5));
        assertEquals("no knob level in " + dir.resolve("knobs") + "; its knobs: limit",
                assertThrows(IllegalArgumentException.class, () -> knobs.enumKnob("level")).getMessage());
        assertEquals("knob limit is an int, not a bool",
                assertThrows(IllegalArgumentException.class, () -> knobs.boolKnob("limit")).getMessage());
    }

    @Test
    void aFileThatIsNoKnobRegionIsRefused() throws IOException {
        Path other = Files.writeString(dir.resolve("other"), "#!/bin/sh\necho this is no knob region at all\n");
        assertTrue(assertThrows(IOException.class, () -> Knobs.open(other)).getMessage().contains("no knob region"));
    }
}
