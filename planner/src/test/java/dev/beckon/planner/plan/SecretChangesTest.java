package dev.beckon.planner.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.beckon.planner.manifest.ManifestEntry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A plan names each secret that was added, removed or changed, by name only. */
class SecretChangesTest {
    private static ManifestEntry entry(Map<String, String> secrets) {
        return new ManifestEntry("s", "local", "systemd-unit", "hash", "", List.of("/bin/s"), new TreeMap<>(), new TreeMap<>(),
                List.of(), "0", false, false, "", "", "", "/i", new TreeMap<>(), "/state", List.of(), new TreeMap<>(), new TreeMap<>(),
                "", "").withSecrets(new TreeMap<>(secrets));
    }

    @Test
    void eachSecretThatDiffersIsAReason() {
        assertEquals(List.of("secret api added", "secret db changed", "secret old removed"), Planner.differences(
                entry(Map.of("db", "hmac-sha256:1", "old", "hmac-sha256:2", "same", "hmac-sha256:3")),
                entry(Map.of("db", "hmac-sha256:9", "api", "hmac-sha256:4", "same", "hmac-sha256:3"))));
    }

    @Test
    void equalHashesAreNoChange() {
        assertEquals(List.of(), Planner.differences(entry(Map.of("db", "hmac-sha256:1")), entry(Map.of("db", "hmac-sha256:1"))));
    }
}
