package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The instance hash taken straight from the JSON stream is the hash of the manifest's text as it was taken before
 * (the instance directories of deployed instances are named by it: a different hash would plan every instance again).
 */
class ManifestDigestTest {
    private static Manifest manifest(String description, String variable) {
        TreeMap<String, String> environment = new TreeMap<>();
        environment.put("GREETING", variable);
        ManifestEntry entry = new ManifestEntry("s", "local", "systemd-unit", "", description, List.of("/bin/s", "--name", description),
                environment, new TreeMap<>(), List.of("127.0.0.1:8080"), "30s", false, true, "", "", "", "/i", new TreeMap<>(),
                "/state", List.of("db"), new TreeMap<>(), new TreeMap<>(), "", "");
        return new Manifest(Manifest.FORMAT_VERSION, "default", new TreeMap<>(), List.of(entry));
    }

    private static String textHash(Manifest manifest) {
        return PackageDigest.ofText(new String(ManifestJson.write(manifest), StandardCharsets.UTF_8));
    }

    @Test
    void theStreamedDigestIsTheDigestOfTheWrittenText() {
        for (Manifest manifest : List.of(manifest("plain", "hello"), manifest("grüße, 日本, \uD83D\uDE00", "tab\there \"quoted\" \\ \u0001"),
                Manifest.empty("default"))) {
            assertEquals(textHash(manifest), ManifestJson.digest(manifest));
        }
    }

    @Test
    void differentManifestsHaveDifferentDigests() {
        assertNotEquals(ManifestJson.digest(manifest("a", "x")), ManifestJson.digest(manifest("a", "y")));
    }
}
