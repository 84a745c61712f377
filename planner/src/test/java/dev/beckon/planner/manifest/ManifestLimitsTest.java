package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.Limits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * An entry's limits in the recorded manifest: absent when there are none, so a manifest recorded before limits
 * existed keeps its bytes (and every instance's hash: no change is planned on upgrade); read back as they were.
 */
class ManifestLimitsTest {
    private static ManifestEntry entry(Map<String, String> limits) {
        return new ManifestEntry("s", "local", "systemd-unit", "hash", "", List.of("/bin/s"), new TreeMap<>(), new TreeMap<>(),
                List.of(), "0", false, false, "", "", "", "/i", new TreeMap<>(), "/state", List.of(), new TreeMap<>(), new TreeMap<>(),
                "", "").withLimits(new TreeMap<>(limits));
    }

    private static String json(ManifestEntry entry) {
        return new String(ManifestJson.write(new Manifest(Manifest.FORMAT_VERSION, "p", new TreeMap<>(), List.of(entry))),
                StandardCharsets.UTF_8);
    }

    @Test
    void anEntryWithoutLimitsIsWrittenAsBeforeLimitsExisted() throws Exception {
        ManifestEntry without = entry(Map.of());
        ManifestEntry before = new ManifestEntry("s", "local", "systemd-unit", "hash", "", List.of("/bin/s"), new TreeMap<>(),
                new TreeMap<>(), List.of(), "0", false, false, "", "", "", "/i", new TreeMap<>(), "/state", List.of(), new TreeMap<>(),
                new TreeMap<>(), "", "");
        assertEquals(json(before), json(without));
        assertFalse(json(without).contains("limits"), json(without));
        Manifest read = ManifestJson.read(json(without).getBytes(StandardCharsets.UTF_8), "test");
        assertEquals(Limits.NONE, read.entries().get(0).toInstance("p").limits());
    }

    @Test
    void limitsAreRecordedAndReadBack() throws Exception {
        Limits limits = new Limits(OptionalLong.of(1L << 28), OptionalInt.of(64), OptionalInt.of(50), OptionalInt.empty(),
                OptionalInt.empty(), OptionalInt.empty());
        String json = json(entry(limits.toMap()));
        assertTrue(json.contains("\"limits\" : {"), json);
        Manifest read = ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "test");
        assertEquals(limits, read.entries().get(0).toInstance("p").limits());
    }
}
