package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.planner.testing.SiteModel;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance is what its content makes it: a copy of a deployed model in another directory, packages and all,
 * plans no change through {@code bin/beckon}; a change of a package's content in that copy plans one.
 */
@ExtendWith(SystemdSandboxExtension.class)
class CopiedModelIT {
    @TempDir
    Path dir;

    @Test
    void aCopyOfTheModelElsewherePlansNoChangesAndAChangedPackageDoes(SystemdUserManager systemd) throws Exception {
        Path model = dir.resolve("here").resolve("model");
        // On demand, and never asked: nothing needs to run for the plan to be compared.
        SiteModel.write(model, systemd, dir.resolve("state"));
        BeckonProcess beckon = BeckonProcess.withEnvironment(Map.of("BECKON_HOME", dir.resolve("home").toString()));

        Run deployed = beckon.run("deploy", model.toString());
        assertEquals(0, deployed.exitCode(), deployed.output());

        Path copy = dir.resolve("elsewhere").resolve("copied-model");
        copyTree(model, copy);
        Run plan = beckon.run("plan", copy.toString());
        assertEquals(0, plan.exitCode(), plan.output());
        assertTrue(plan.out().startsWith("No changes."), "the same model in another directory is the same system:\n" + plan.output());

        Files.writeString(copy.resolve("site").resolve("index.html"), "hello again\n");
        Run changed = beckon.run("plan", copy.toString());
        assertEquals(0, changed.exitCode(), changed.output());
        assertTrue(changed.out().contains("site@local will be changed"), "a package is its content:\n" + changed.output());

        assertEquals(0, beckon.run("deploy", copy.toString()).exitCode());
        Files.delete(copy.resolve("distribution.toml"));
        Files.writeString(copy.resolve("distribution.toml"), "");
        assertEquals(0, beckon.run("deploy", copy.toString()).exitCode());
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }
}
