package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.InstanceReadiness;
import dev.beckon.models.HealthCheck;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** An instance without readiness records none (manifests recorded before keep their bytes and hash); one with it round-trips. */
class ReadinessEntryTest {
    private static ManifestEntry entry(ReadinessEntry readiness) {
        return new ManifestEntry("web", "local", "systemd-unit", "hash", "", List.of("/bin/web"), new TreeMap<>(), new TreeMap<>(),
                List.of(), "0", false, false, "", "", "", "/store/x-web", new TreeMap<>(), "/state", List.of(), new TreeMap<>(),
                new TreeMap<>(), "", "").withReadiness(readiness);
    }

    private static Manifest manifest(ManifestEntry entry) {
        return new Manifest(Manifest.FORMAT_VERSION, "default", new TreeMap<>(), List.of(entry));
    }

    @Test
    void anInstanceWithoutReadinessIsRecordedAsBeforeReadinessExisted() throws Exception {
        ManifestEntry before = new ManifestEntry("web", "local", "systemd-unit", "hash", "", List.of("/bin/web"), new TreeMap<>(),
                new TreeMap<>(), List.of(), "0", false, false, "", "", "", "/store/x-web", new TreeMap<>(), "/state", List.of(),
                new TreeMap<>(), new TreeMap<>(), "", "");
        String json = new String(ManifestJson.write(manifest(before)), StandardCharsets.UTF_8);
        assertFalse(json.contains("readiness"), json);
        assertEquals(json, new String(ManifestJson.write(manifest(entry(ReadinessEntry.NONE))), StandardCharsets.UTF_8));
        assertEquals(InstanceReadiness.NONE, ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "test").entries().get(0)
                .toInstance("default").readiness());
    }

    @Test
    void aDeclaredReadinessSurvivesTheManifest() throws Exception {
        InstanceReadiness readiness = new InstanceReadiness(true, Duration.ofSeconds(45), Optional.of(new InstanceReadiness.Health(
                HealthCheck.Kind.HTTP, List.of("http://127.0.0.1:8080/health"), Duration.ofSeconds(1), Duration.ofMillis(250), 4)), true);
        String json = new String(ManifestJson.write(manifest(entry(ReadinessEntry.of(readiness)))), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"readiness\""), json);
        assertEquals(readiness, ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "test").entries().get(0)
                .toInstance("default").readiness());
    }
}
