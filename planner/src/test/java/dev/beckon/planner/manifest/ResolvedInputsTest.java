package dev.beckon.planner.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationModules;
import dev.beckon.models.ModelFiles;
import dev.beckon.models.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unchanged model is recognised without resolving it, and every change of what resolving reads is no match:
 * a model file's bytes, a package's files, the environment, the build of beckon, the generation that is current.
 */
class ResolvedInputsTest {
    @TempDir
    Path dir;

    private Path model;
    private ModelFiles files;
    private Path packageFile;
    private final Map<String, String> environment = new HashMap<>(Map.of("HOME", "/home/someone", "SHLVL", "1"));

    @BeforeEach
    void aModelWithAPackageMadeAWhileAgo() throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("services.toml"), """
                [services.s]
                type = "systemd-unit"
                package = "site"
                exec = ["/bin/cat", "{package}/index.html"]
                """);
        Files.writeString(model.resolve("infrastructure.toml"), "[targets.a]\nhost = \"localhost\"\ncontainers = { systemd-unit = { scope = \"user\" } }\n");
        Files.writeString(model.resolve("distribution.toml"), "s = [\"a\"]\n");
        packageFile = Files.writeString(Files.createDirectories(model.resolve("site")).resolve("index.html"), "hello\n");
        // Made an hour ago: a change the tests make is then seen in its times, however soon after this it comes.
        Files.setLastModifiedTime(packageFile, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        files = ModelFiles.in(model);
    }

    /** The current generation's digest, as the profile gives it when asked. */
    private static java.util.function.Supplier<Optional<String>> digest(String current) {
        return () -> Optional.of(current);
    }

    private ResolvedInputs inputs(String build) {
        return new ResolvedInputs(dir.resolve("profile").resolve(ResolvedInputs.FILE_NAME), environment, Optional.ofNullable(build));
    }

    private Manifest resolved() throws Exception {
        return new ManifestResolver(ActivationModules::forType, t -> dir.resolve("state")).resolve(ModelLoader.load(model), "p");
    }

    /** Resolves and records as a deployment does; the command "began" long enough after the package was made. */
    private String remember(ResolvedInputs inputs, boolean dependsOnlyOnFiles) throws Exception {
        ResolvedInputs.Before before = inputs.beforeLoading(files, System.currentTimeMillis() + 60_000);
        Manifest manifest = resolved();
        Files.createDirectories(dir.resolve("profile"));
        inputs.remember(files, before, manifest, dependsOnlyOnFiles);
        return ManifestJson.digestOfWritten(ManifestJson.write(manifest));
    }

    @Test
    void theSameInputsAreRecognisedAndShellBookkeepingDoesNotCount() throws Exception {
        String current = remember(inputs("build-1"), true);
        assertTrue(inputs("build-1").resolvedTo(files, digest(current)));
        environment.put("SHLVL", "2");
        environment.put("OLDPWD", "/elsewhere");
        environment.put("BECKON_JAVA_OPTS", "-Xmx64m");
        assertTrue(inputs("build-1").resolvedTo(files, digest(current)), "variables no resolving reads");
        assertEquals(current, ManifestJson.digest(resolved()), "the digest of the recorded bytes is the manifest's own");
    }

    @Test
    void aChangedModelFileIsNoMatch() throws Exception {
        String current = remember(inputs("build-1"), true);
        Files.writeString(model.resolve("distribution.toml"), "s = [\"a\"]\n# a comment\n");
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)));
        // The current generation's digest (all of a large manifest's bytes hashed) is not taken for inputs that differ.
        assertFalse(inputs("build-1").resolvedTo(files, () -> {
            throw new AssertionError("the digest was asked for though the model changed");
        }));
    }

    @Test
    void aPackageChangedInPlaceOrGrownIsNoMatch() throws Exception {
        String current = remember(inputs("build-1"), true);
        Files.writeString(packageFile, "hullo\n"); // the same size
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)));

        current = remember(inputs("build-1"), true);
        assertTrue(inputs("build-1").resolvedTo(files, digest(current)));
        Files.writeString(packageFile.resolveSibling("more.html"), "more\n");
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)));
    }

    @Test
    void anotherEnvironmentBuildOrCurrentGenerationIsNoMatch() throws Exception {
        String current = remember(inputs("build-1"), true);
        assertFalse(inputs("build-2").resolvedTo(files, digest(current)), "another build of beckon");
        assertFalse(inputs(null).resolvedTo(files, digest(current)), "a beckon run from class directories");
        assertFalse(inputs("build-1").resolvedTo(files, digest("0".repeat(64))), "another generation is current");
        environment.put("XDG_STATE_HOME", "/var/lib/other");
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)), "a variable resolving may read");
    }

    @Test
    void nothingIsRecordedForWhatDependsOnMoreThanFilesOrChangedTooRecently() throws Exception {
        String current = remember(inputs("build-1"), true);
        remember(inputs("build-1"), false);
        assertFalse(Files.exists(dir.resolve("profile").resolve(ResolvedInputs.FILE_NAME)), "a manifest with secrets or external modules");
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)));

        // A package file changed after the command began: its times may not show a change made right after it.
        ResolvedInputs inputs = inputs("build-1");
        ResolvedInputs.Before before = inputs.beforeLoading(files, System.currentTimeMillis());
        Files.writeString(packageFile, "changed while resolving\n");
        Manifest manifest = resolved();
        inputs.remember(files, before, manifest, true);
        assertFalse(inputs.resolvedTo(files, digest(ManifestJson.digest(manifest))));

        // A model file changed between loading and recording.
        before = inputs.beforeLoading(files, System.currentTimeMillis() + 60_000);
        manifest = resolved();
        Files.writeString(model.resolve("services.toml"), Files.readString(model.resolve("services.toml")) + "# edited\n");
        inputs.remember(files, before, manifest, true);
        assertFalse(inputs.resolvedTo(files, digest(ManifestJson.digest(manifest))));
    }

    @Test
    void aDamagedOrPlantedRecordIsNoMatchAndNoError() throws Exception {
        String current = remember(inputs("build-1"), true);
        Path record = dir.resolve("profile").resolve(ResolvedInputs.FILE_NAME);
        String text = Files.readString(record);
        Files.writeString(record, text.substring(0, text.length() / 2));
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)));
        Files.write(record, new byte[] {(byte) 0xff, 0, 10, 10});
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)));

        Path planted = Files.writeString(dir.resolve("planted"), text);
        Files.delete(record);
        Files.createSymbolicLink(record, planted);
        assertFalse(inputs("build-1").resolvedTo(files, digest(current)), "a link in its place is not followed");
    }
}
