package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationModules;
import dev.beckon.models.ModelLoader;
import dev.beckon.planner.plan.PlanningException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets in the manifest: each value read once, recorded only as a keyed hash that changes with it (and so the instance's
 * hash and directory), kept in memory for the deployment; an entry without secrets is written as before they existed.
 */
class ManifestSecretsTest {
    private static final String VALUE = "s3cr3t-value-for-the-test";

    @TempDir
    Path dir;

    private Manifest resolve(SecretValues values) throws Exception {
        return new ManifestResolver(ActivationModules::forType, t -> dir.resolve("state"), values,
                SecretHashes.withKeyIn(dir.resolve("home"))).resolve(ModelLoader.load(dir.resolve("model")), "p");
    }

    private void model(String secrets, String value) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("services.toml"), "[services.s]\ntype = \"systemd-unit\"\nexec = [\"/bin/s\"]\n" + secrets);
        Files.writeString(model.resolve("infrastructure.toml"), "[targets.a]\nhost = \"localhost\"\ncontainers = { systemd-unit = { scope = \"user\" } }\n[targets.b]\nhost = \"localhost\"\ncontainers = { systemd-unit = { scope = \"user\", bus = \"unix:path=/run/b/bus\" } }\n");
        Files.writeString(model.resolve("distribution.toml"), "s = [\"a\", \"b\"]\n");
        Path file = Files.writeString(model.resolve("db"), value);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static String json(Manifest manifest) {
        return new String(ManifestJson.write(manifest), StandardCharsets.UTF_8);
    }

    @Test
    void onlyAKeyedHashIsRecordedAndTheValueWaitsForTheDeployment() throws Exception {
        model("secrets = { db = { file = \"db\" } }\n", VALUE);
        SecretValues values = new SecretValues();
        Manifest manifest = resolve(values);
        ManifestEntry entry = manifest.entries().get(0);
        assertTrue(entry.secrets().get("db").matches("hmac-sha256:[0-9a-f]{64}"), entry.secrets().toString());
        assertFalse(json(manifest).contains(VALUE), json(manifest));
        assertFalse(entry.toString().contains(VALUE) || values.toString().contains(VALUE));
        assertTrue(String.join("\n", entry.files().values()).contains("CREDENTIALS_DIRECTORY=" + entry.instanceDirectory() + "/credentials"));
        for (ManifestEntry each : manifest.entries()) {
            assertArrayEquals(VALUE.getBytes(StandardCharsets.UTF_8), values.of(each).orElseThrow().get("db"));
        }
        assertEquals(List.of("db"), entry.toInstance("p").secrets());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("home/secret-hash.key"))));

        // Read back from the record: the hash, not the value, which only this command's memory has.
        Manifest recorded = ManifestJson.read(ManifestJson.write(manifest), "test");
        assertEquals(entry.secrets(), recorded.entries().get(0).secrets());
        assertTrue(new SecretValues().of(recorded.entries().get(0)).isEmpty());

        // The same value under the same key: the same hash, so no change is planned; another value: another instance.
        assertEquals(entry, resolve(new SecretValues()).entries().get(0));
        model("secrets = { db = { file = \"db\" } }\n", VALUE + "2");
        SecretValues changedValues = new SecretValues();
        ManifestEntry changed = resolve(changedValues).entries().get(0);
        assertNotEquals(entry.secrets().get("db"), changed.secrets().get("db"));
        assertNotEquals(entry.instanceDirectory(), changed.instanceDirectory());
        assertTrue(changedValues.of(entry).isEmpty(), "values are handed out only for the entry they were read for");
    }

    @Test
    void anEntryWithoutSecretsIsWrittenAsBeforeSecretsExisted() throws Exception {
        model("", VALUE);
        Manifest manifest = resolve(new SecretValues());
        assertFalse(json(manifest).contains("secrets"), json(manifest));
        assertFalse(Files.exists(dir.resolve("home/secret-hash.key")), "a model without secrets needs no key");
        ManifestEntry entry = manifest.entries().get(0);
        ManifestEntry before = new ManifestEntry(entry.service(), entry.target(), entry.type(), entry.hash(), entry.description(),
                entry.exec(), entry.environment(), entry.ports(), entry.listen(), entry.idleTimeout(), entry.accept(), entry.onDemand(),
                entry.packageSource(), entry.packageHash(), entry.packagePath(), entry.instanceDirectory(), entry.container(),
                entry.stateDirectory(), entry.dependsOn(), entry.endpoints(), entry.files(), entry.pass(), entry.startLimit(),
                entry.stopTimeout(), entry.readiness(), entry.classDataArchive(), entry.knobs(), entry.stateSize(), entry.limits(),
                entry.hardening());
        assertEquals(entry, before);
        assertEquals(entry, before.withSecrets(new TreeMap<>()));
    }

    @Test
    void aSecretThatCannotBeReadFailsThePlanAtItsDeclaration() throws Exception {
        model("secrets = { db = { file = \"missing\" } }\n", VALUE);
        PlanningException e = assertThrows(PlanningException.class, () -> resolve(new SecretValues()));
        assertTrue(e.getMessage().startsWith(dir.resolve("model/services.toml") + ":4:13: secret db of service s: its file "), e.getMessage());
        assertTrue(e.getMessage().endsWith("Nothing was changed."), e.getMessage());
    }

    @Test
    void theKeyMustBeAPrivateFile() throws Exception {
        model("secrets = { db = { file = \"db\" } }\n", VALUE);
        resolve(new SecretValues());
        Files.setPosixFilePermissions(dir.resolve("home/secret-hash.key"), PosixFilePermissions.fromString("rw-r--r--"));
        PlanningException e = assertThrows(PlanningException.class, () -> resolve(new SecretValues()));
        assertTrue(e.getMessage().contains("must be a regular file of yours with mode 0600"), e.getMessage());
    }
}
