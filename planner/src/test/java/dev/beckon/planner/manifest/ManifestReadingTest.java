package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.Knob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link ManifestJson#read}, which reads without jackson-databind ({@link RecordJsonReader}), reads what databind
 * writes as databind reads it, and says in one line where a damaged manifest is wrong.
 */
class ManifestReadingTest {
    /** An entry with every field set to something other than its default, the readiness and a knob included. */
    private static ManifestEntry everyField(String service) {
        return new ManifestEntry(service, "web", "systemd-unit", "0123abcd", "Greets \"everyone\" \u00e9\ud83d\ude00",
                List.of("java", "-jar", "{package}/x.jar"), new TreeMap<>(Map.of("B", "2", "A", "1")), new TreeMap<>(Map.of("http", 8080)),
                List.of("127.0.0.1:8080"), "5s", true, true, "/src/pkg", "abcd", "/s/store/abcd-pkg", "/s/store/0123-" + service,
                new TreeMap<>(Map.of("scope", "user")), "/s", List.of("db@web"), new TreeMap<>(Map.of("db", "127.0.0.1:5432")),
                new TreeMap<>(Map.of("beckon-p-" + service + ".service", "[Unit]\nDescription=x\n")), "listen-fds", "10/5s", "30s",
                new ReadinessEntry(true, "1m", "http", List.of("/health"), "2s", "1s", 3, true), "/s/store/0123-" + service + "/a.jsa",
                List.of(new Knob("mode", Knob.ENUM, List.of("a", "b"), 0, 1, 1), new Knob("n", Knob.INT, List.of(), -5, 1L << 40, 7)),
                "16MiB", new TreeMap<>(Map.of("memory-max", "268435456")), new TreeMap<>(Map.of("protect-system", "strict")),
                new TreeMap<>(Map.of("token", "hmac-sha256:00ff")));
    }

    private static Manifest manifest() {
        return new Manifest(Manifest.FORMAT_VERSION, "p", new TreeMap<>(Map.of("web", new Manifest.TargetRecord("web", "web.example",
                "10.0.0.1", "/s"))), List.of(everyField("one"), everyField("two")));
    }

    @Test
    void aManifestWithEveryFieldReadsBackEqualAndAsDatabindReadsIt() throws Exception {
        byte[] written = ManifestJson.write(manifest());
        Manifest read = ManifestJson.read(written, "test");
        assertEquals(manifest(), read);
        assertEquals(ManifestJson.mapper().readValue(written, Manifest.class), read);
        assertEquals(new String(written, StandardCharsets.UTF_8), new String(ManifestJson.write(read), StandardCharsets.UTF_8));
    }

    @Test
    void fieldsAnOlderManifestLacksAreFilledInAsDatabindFillsThem() throws Exception {
        String json = """
                {"formatVersion": 1, "profile": "p", "targets": {}, "entries": [{"service": "s", "target": "t", "type": "systemd-unit",
                 "hash": "h", "description": "", "exec": ["/bin/s"], "environment": {}, "ports": {}, "listen": [], "idleTimeout": "0",
                 "accept": false, "onDemand": false, "packageSource": "", "packageHash": "", "packagePath": "", "instanceDirectory": "/i",
                 "container": {}, "stateDirectory": "/s", "dependsOn": [], "endpoints": {}, "files": {}}]}
                """;
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        Manifest read = ManifestJson.read(bytes, "test");
        assertEquals(ManifestJson.mapper().readValue(bytes, Manifest.class), read);
        assertEquals(ReadinessEntry.NONE, read.entries().get(0).readiness());
        assertEquals(List.of(), read.entries().get(0).knobs());
    }

    private static String damaged(String json) {
        IOException e = assertThrows(IOException.class, () -> ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "generation 3"));
        assertTrue(e.getMessage().startsWith("generation 3 is not a readable beckon manifest: "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aDamagedManifestIsNamedWithWhereItIsWrong() {
        String whole = new String(ManifestJson.write(manifest()), StandardCharsets.UTF_8);
        assertTrue(damaged("").contains("it is empty"));
        assertTrue(damaged("null").contains("it is JSON null"));
        assertTrue(damaged("[]").contains("it is a list, not an object"));
        assertTrue(damaged("{}").contains("it lacks what it needs among profile, targets, entries"), damaged("{}"));
        assertTrue(damaged(whole.substring(0, whole.length() / 2)).contains("line "), damaged(whole.substring(0, whole.length() / 2)));
        assertTrue(damaged(whole + "{}").contains("more follows the value"));
        assertTrue(damaged(whole.replaceFirst("\"service\" : \"one\"", "\"service\" : 7")).contains("entries[0].service is a number, not a string"));
        assertTrue(damaged(whole.replaceFirst("\"exec\" : \\[", "\"exec\" : [ null, ")).contains("it has no entries[0].exec[0]"));
        assertTrue(damaged(whole.replaceFirst("\"exec\" : \\[[^]]*]", "\"exec\" : null")).contains("entries[0] lacks what it needs among exec"));
        assertTrue(damaged(whole.replaceFirst("\"service\" : \"one\",", "")).contains("it has no entries[0].service"));
        assertTrue(damaged(whole.replaceFirst("\"service\" : \"one\"", "\"servce\" : \"one\"")).contains("no field servce belongs here"));
        assertTrue(damaged(whole.replaceFirst("\"http\" : 8080", "\"http\" : 8080000000")).contains("entries[0].ports[http]"));
        assertTrue(damaged(whole.replaceFirst("\"environment\" : \\{", "\"environment\" : {\"X\": null,")).contains("it has no entries[0].environment[X]"));
        assertTrue(damaged(whole.replaceFirst("\"exec\" : \\[", "\"exec\" : 3, \"x\" : [")).contains("entries[0].exec is a number, not a list"));
    }
}
