package dev.beckon.planner.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.beckon.models.Hardening;
import dev.beckon.planner.manifest.ManifestEntry;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** An instance recorded before hardening existed changes once, and the plan says why. */
class HardeningReasonTest {
    private static final Hardening DEFAULTS = new Hardening(true, true, true, true, new TreeSet<>(List.of("AF_UNIX")), Optional.empty(),
            true);

    @Test
    void anEntryRecordedWithoutHardeningIsHardenedByDefaultAndALaterChangeIsNamed() {
        ManifestEntry recorded = entry(new TreeMap<>(), "old");
        ManifestEntry hardened = entry(DEFAULTS.toMap(), "new");
        assertEquals(List.of("hardened by default"), Planner.differences(recorded, hardened));
        Hardening openHome = new Hardening(true, true, false, true, new TreeSet<>(List.of("AF_UNIX")), Optional.empty(), true);
        assertEquals(List.of("hardening changed"), Planner.differences(hardened, entry(openHome.toMap(), "newer")));
        assertEquals(List.of(), Planner.differences(hardened, entry(DEFAULTS.toMap(), "new")));
    }

    private static ManifestEntry entry(SortedMap<String, String> hardening, String hash) {
        return new ManifestEntry("web", "local", "systemd-unit", hash, "", List.of("/bin/web"), new TreeMap<>(), new TreeMap<>(),
                List.of(), "0", false, false, "", "", "", "/state/store/" + hash + "-web", new TreeMap<>(), "/state", List.of(),
                new TreeMap<>(), new TreeMap<>(), "", "", "", null, "", List.of(), "", new TreeMap<>(), hardening);
    }
}
