package dev.beckon.planner.knobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.Knob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnobRegionTest {
    private static final Knob LEVEL = new Knob("log-level", Knob.ENUM, List.of("debug", "info", "warn"), 0, 0, 1);
    private static final Knob LIMIT = new Knob("limit", Knob.INT, List.of(), 1, 100, 10);
    private static final Knob DRAINING = new Knob("draining", Knob.BOOL, List.of(), 0, 0, 0);

    @TempDir
    Path dir;

    @Test
    void aNewRegionHoldsTheDefaultsInTheDocumentedLayout() throws IOException {
        Path file = dir.resolve("services/default/web/knobs");
        KnobRegion.Prepared prepared = KnobRegion.prepare(file, List.of(LEVEL, LIMIT, DRAINING));
        assertTrue(prepared.created());
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        String text = "log-level enum debug info warn\nlimit int 1 100\ndraining bool\n";
        byte[] magic = new byte[8];
        bytes.get(magic);
        assertEquals("BECKNOBS", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(1, bytes.getInt(8), "version");
        assertEquals(3, bytes.getInt(12), "count");
        assertEquals(KnobRegion.layoutHash(text), bytes.getLong(16));
        assertEquals(text.length(), bytes.getInt(24));
        assertEquals(List.of(1L, 10L, 0L), List.of(bytes.getLong(32), bytes.getLong(40), bytes.getLong(48)));
        assertEquals(text, new String(bytes.array(), 56, text.length(), StandardCharsets.UTF_8));
        assertEquals(0, bytes.capacity() % 8);
        assertEquals(Map.of("log-level", "info", "limit", "10", "draining", "false"), KnobRegion.read(file, List.of(LEVEL, LIMIT, DRAINING)));
    }

    @Test
    void setChangesOneSlotInPlaceAndARedeploymentWithTheSameLayoutKeepsTheValues() throws IOException {
        Path file = dir.resolve("knobs");
        List<Knob> knobs = List.of(LEVEL, LIMIT);
        KnobRegion.prepare(file, knobs);
        Object inode = Files.getAttribute(file, "unix:ino");
        KnobRegion.set(file, knobs, "log-level", "warn");
        KnobRegion.set(file, knobs, "limit", "100");
        Knob newDefault = new Knob("limit", Knob.INT, List.of(), 1, 100, 50);
        KnobRegion.Prepared again = KnobRegion.prepare(file, List.of(LEVEL, newDefault));
        assertEquals(false, again.layoutChanged());
        assertEquals(inode, Files.getAttribute(file, "unix:ino"), "the same file, which the running service has mapped");
        assertEquals(Map.of("log-level", "warn", "limit", "100"), KnobRegion.read(file, knobs));
    }

    @Test
    void aNewLayoutCarriesOverEachValueByNameAndTypeThatIsStillOneOfItsValues() throws IOException {
        Path file = dir.resolve("knobs");
        KnobRegion.prepare(file, List.of(LEVEL, LIMIT, DRAINING));
        KnobRegion.set(file, List.of(LEVEL, LIMIT, DRAINING), "log-level", "warn");
        KnobRegion.set(file, List.of(LEVEL, LIMIT, DRAINING), "limit", "90");
        KnobRegion.set(file, List.of(LEVEL, LIMIT, DRAINING), "draining", "true");
        // The enum's values reordered (carried by name, not index), the int's range shrunk below its value, the bool
        // turned into an int, and a knob added.
        Knob reordered = new Knob("log-level", Knob.ENUM, List.of("warn", "info", "debug", "trace"), 0, 0, 1);
        Knob narrower = new Knob("limit", Knob.INT, List.of(), 1, 50, 5);
        Knob drainingInt = new Knob("draining", Knob.INT, List.of(), 0, 9, 3);
        Knob added = new Knob("added", Knob.BOOL, List.of(), 0, 0, 1);
        List<Knob> next = List.of(added, reordered, narrower, drainingInt);
        KnobRegion.Prepared prepared = KnobRegion.prepare(file, next);
        assertTrue(prepared.layoutChanged());
        assertEquals(List.of("log-level=warn"), prepared.carriedOver());
        assertEquals(Map.of("added", "true", "log-level", "warn", "limit", "5", "draining", "3"), KnobRegion.read(file, next));
        assertEquals(0, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong(40), "warn is index 0 now");
    }

    @Test
    void wrongInputAndAnotherLayoutChangeNothing() throws IOException {
        Path file = dir.resolve("knobs");
        List<Knob> knobs = List.of(LEVEL, LIMIT);
        KnobRegion.prepare(file, knobs);
        byte[] before = Files.readAllBytes(file);
        assertEquals("no knob \"volume\"; its knobs are log-level, limit",
                assertThrows(IllegalArgumentException.class, () -> KnobRegion.set(file, knobs, "volume", "1")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> KnobRegion.set(file, knobs, "limit", "101"));
        assertThrows(IllegalArgumentException.class, () -> KnobRegion.set(file, knobs, "log-level", "loud"));
        IOException other = assertThrows(IOException.class, () -> KnobRegion.set(file, List.of(LIMIT, LEVEL), "limit", "5"));
        assertTrue(other.getMessage().contains("another layout"), other.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void thePlanNamesALayoutChangeAndWhatCarriesOver() {
        assertEquals(List.of(), KnobChanges.between(List.of(LEVEL), List.of(LEVEL)));
        assertEquals(List.of("knobs declared: log-level, limit"), KnobChanges.between(List.of(), List.of(LEVEL, LIMIT)));
        assertEquals(List.of("knobs removed"), KnobChanges.between(List.of(LEVEL), List.of()));
        assertEquals(List.of("knob default changed: limit (the values set now are kept)"),
                KnobChanges.between(List.of(LEVEL, LIMIT), List.of(LEVEL, new Knob("limit", Knob.INT, List.of(), 1, 100, 20))));
        assertEquals(List.of("knob layout changed; values carried over: log-level; at their default: draining; dropped: limit"),
                KnobChanges.between(List.of(LEVEL, LIMIT), List.of(LEVEL, DRAINING)));
    }
}
