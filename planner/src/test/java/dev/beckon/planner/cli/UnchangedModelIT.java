package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.planner.testing.SiteModel;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A no-op deployment (and plan) through {@code bin/beckon} that does not resolve the model again when its files and packages
 * are what the current generation was resolved from, and still asks systemd what runs: a socket stopped by hand is
 * started again, and every change of a model file or a package is deployed as before.
 */
@ExtendWith(SystemdSandboxExtension.class)
class UnchangedModelIT {
    private static final String NOT_RESOLVED = "not resolved again";
    private static final String SOCKET = "beckon-default-site.socket";

    @TempDir
    Path dir;

    @Test
    void anUnchangedModelIsNotResolvedAgainButWhatRunsIsAlwaysAsked(SystemdUserManager systemd) throws Exception {
        Path model = dir.resolve("model");
        Path page = SiteModel.write(model, systemd, dir.resolve("state"));
        untouchedForTheRacyWindow(page);
        BeckonProcess beckon = BeckonProcess.withEnvironment(Map.of("BECKON_HOME", dir.resolve("home").toString(), "BECKON_DEBUG", "1"));

        Run deployed = beckon.run("deploy", model.toString());
        assertEquals(0, deployed.exitCode(), deployed.output());
        assertTrue(Files.isRegularFile(dir.resolve("home/profiles/default").resolve(dev.beckon.planner.manifest.ResolvedInputs.FILE_NAME),
                LinkOption.NOFOLLOW_LINKS), "the deployment recorded what it resolved the model from");

        Run noOp = beckon.run("deploy", model.toString());
        assertEquals(0, noOp.exitCode(), noOp.output());
        assertTrue(noOp.out().startsWith("No changes."), noOp.output());
        assertTrue(noOp.err().contains(NOT_RESOLVED), "the same model and package need no resolving:\n" + noOp.output());

        Run plan = beckon.run("plan", model.toString(), "--detailed-exitcode");
        assertEquals(0, plan.exitCode(), plan.output());
        assertTrue(plan.out().startsWith("No changes.") && plan.err().contains(NOT_RESOLVED), "plan too:\n" + plan.output());

        // The package in the store, read and found whole once its times lie beyond the racy window, is not read again
        // while its inodes say the same: they are recorded beside it.
        Path entry;
        try (java.util.stream.Stream<Path> entries = Files.list(dir.resolve("state/store"))) {
            entry = entries.filter(e -> e.getFileName().toString().matches("[0-9a-f]{64}-.+")).findFirst().orElseThrow();
        }
        untouchedForTheRacyWindow(entry);
        Run status = beckon.run("status");
        assertEquals(0, status.exitCode(), status.output());
        assertTrue(Files.isRegularFile(entry.resolveSibling("." + entry.getFileName() + ".inodes"), LinkOption.NOFOLLOW_LINKS),
                "status recorded the package's inodes:\n" + status.output());
        assertTrue(beckon.run("deploy", model.toString()).out().startsWith("No changes."));

        // What runs is asked every time: a socket stopped by hand is no "No changes".
        assertEquals(0, systemd.systemctl("stop", SOCKET).exitCode());
        Run stoppedPlan = beckon.run("plan", model.toString(), "--detailed-exitcode");
        assertEquals(ExitCodes.CHANGES, stoppedPlan.exitCode(), stoppedPlan.output());
        Run repaired = beckon.run("deploy", model.toString());
        assertEquals(0, repaired.exitCode(), repaired.output());
        assertFalse(repaired.out().startsWith("No changes."), repaired.output());
        assertEquals("active", systemd.systemctl("is-active", SOCKET).stdout().strip(), repaired.output());

        // A package changed in place, to the same size: deployed.
        Run again = beckon.run("deploy", model.toString());
        assertTrue(again.err().contains(NOT_RESOLVED), again.output());
        Files.writeString(page, "howdy\n");
        Files.setLastModifiedTime(page, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Run changedPackage = beckon.run("deploy", model.toString());
        assertEquals(0, changedPackage.exitCode(), changedPackage.output());
        assertTrue(changedPackage.out().contains("site@local will be changed"), changedPackage.output());

        // A model file changed: resolved again, whatever the change.
        untouchedForTheRacyWindow(page);
        Files.writeString(model.resolve("distribution.toml"), "site = [\"local\"] # still here\n");
        Run changedModel = beckon.run("deploy", model.toString());
        assertEquals(0, changedModel.exitCode(), changedModel.output());
        assertTrue(changedModel.out().startsWith("No changes."), changedModel.output());
        assertFalse(changedModel.err().contains(NOT_RESOLVED), changedModel.output());
        Run afterIt = beckon.run("deploy", model.toString());
        assertTrue(afterIt.err().contains(NOT_RESOLVED), "recorded again by the no-op that resolved it:\n" + afterIt.output());

        Files.writeString(model.resolve("distribution.toml"), "");
        Run removed = beckon.run("deploy", model.toString());
        assertEquals(0, removed.exitCode(), removed.output());
        assertTrue(removed.out().contains("site@local will be deactivated"), removed.output());
    }

    /**
     * Waits until a package file was last changed more than the racy window before now: a change that recent does not
     * count as seen by its times (ResolvedInputs), so the command would record nothing and resolve the next time too.
     */
    private static void untouchedForTheRacyWindow(Path file) throws Exception {
        while (true) {
            long ctime = ((FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS)).toMillis();
            long left = ctime + 2_500 - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            Thread.sleep(left);
        }
    }
}
