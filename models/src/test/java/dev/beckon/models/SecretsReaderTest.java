package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code [services.X.secrets]}: where each value comes from, read where it is written; nothing is read or run while loading. */
class SecretsReaderTest {
    @TempDir
    Path dir;

    private void write(String secrets) throws IOException {
        Files.writeString(dir.resolve("services.toml"), "[services.s]\ntype = \"systemd-unit\"\nexec = [\"/bin/s\"]\n" + secrets);
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.local]\nhost = \"localhost\"\ncontainers = { systemd-unit = { scope = \"user\" } }\n");
        Files.writeString(dir.resolve("distribution.toml"), "s = [\"local\"]\n");
    }

    private List<String> errors(String secrets) throws IOException {
        write(secrets);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelLoader.load(dir));
        return e.diagnostics().stream().map(d -> d.toString().replace(dir + "/", "")).toList();
    }

    @Test
    void aFileIsRelativeToTheModelAndACommandIsItsArgv() throws Exception {
        // Neither exists: loading reads no value and runs no command; plans do (SecretSources).
        write("[services.s.secrets]\ndb = { file = \"secrets/db\" }\napi = { command = [\"pass\", \"show\", \"api\"] }\n");
        Service service = ModelLoader.load(dir).services().get("s");
        assertEquals(List.of("api", "db"), List.copyOf(service.secrets().keySet()));
        Secret db = service.secrets().get("db");
        assertEquals(Optional.of(dir.toAbsolutePath().resolve("secrets/db")), db.file());
        assertEquals(List.of(), db.command());
        assertEquals("services.toml:5:1", db.definedAt().inModel());
        Secret api = service.secrets().get("api");
        assertEquals(List.of("pass", "show", "api"), api.command());
        assertEquals(dir.toAbsolutePath(), api.workingDirectory());
        assertEquals(Optional.empty(), api.file());
    }

    @Test
    void aServiceWithoutSecretsHasNone() throws Exception {
        write("");
        assertEquals(List.of(), List.copyOf(ModelLoader.load(dir).services().get("s").secrets().keySet()));
    }

    @Test
    void eachMistakeIsReportedWhereItIsWritten() throws Exception {
        assertEquals(List.of(
                "services.toml:5:8: error: secret both of service s needs exactly one of file = \"PATH\" (relative to services.toml)"
                        + " and command = [\"PROGRAM\", ...], which print its value on the deploying machine",
                "services.toml:6:11: error: secret neither of service s needs exactly one of file = \"PATH\" (relative to services.toml)"
                        + " and command = [\"PROGRAM\", ...], which print its value on the deploying machine",
                "services.toml:7:1: error: secret name \"Bad_Name\" must be 1-63 lower-case letters, digits and hyphens, starting with a"
                        + " letter or digit, so it is safe in unit and file names",
                "services.toml:8:21: error: the command of secret empty of service s needs at least its program, like"
                        + " [\"pass\", \"show\", \"empty\"]",
                "services.toml:9:18: error: the file of secret blank of service s must name a file",
                "services.toml:10:10: error: unknown key flie in secret typo of service s (did you mean file?); known keys: command, file"),
                errors("""
                        [services.s.secrets]
                        both = { file = "a", command = ["b"] }
                        neither = {}
                        Bad_Name = { file = "a" }
                        empty = { command = [] }
                        blank = { file = "" }
                        typo = { flie = "a", file = "b" }
                        """));
    }

    @Test
    void credentialsDirectoryIsNotTheModelsToSet() throws Exception {
        assertEquals(List.of("services.toml:4:17: error: environment variable CREDENTIALS_DIRECTORY is set by beckon or the service"
                + " manager, not by the model"), errors("environment = { CREDENTIALS_DIRECTORY = \"/tmp\" }\n"));
    }
}
