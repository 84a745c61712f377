package dev.beckon.distribution;

import static dev.beckon.distribution.Processes.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/beckon's output on a terminal (a pseudo-terminal that script(1) makes) and elsewhere: colour for the
 * change symbols and progress updated in place only on a terminal, no colour under NO_COLOR, plain text into a
 * pipe; and Maven, as bin/test and bin/demo run it, without stray escape codes.
 */
@ExtendWith(SystemdSandboxExtension.class)
class TerminalMannersIT {
    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();
    private static final String ESCAPE = "\033";

    @TempDir
    Path dir;

    private Path writeModel(SystemdUserManager systemd) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        int port = dev.beckon.sandbox.FreePorts.onLoopback();
        Files.writeString(model.resolve("services.toml"), Files.readString(Packaged.EXAMPLE.resolve("services.toml"))
                .replace("package = \"target/hello-server\"", "package = \"" + Packaged.EXAMPLE.resolve("target/hello-server") + "\"")
                .replace("greeting = 18080", "greeting = " + port));
        Files.copy(Packaged.EXAMPLE.resolve("distribution.toml"), model.resolve("distribution.toml"));
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                hostname = "127.0.0.1"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                scope = "user"
                bus = "%s"
                journal-directory = "%s"
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
        return model;
    }

    /** bin/beckon ARGS with its output into a pipe. */
    private CommandResult piped(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CHECKOUT.resolve("bin/beckon").toString()));
        command.addAll(List.of(args));
        return run(dir, environment, command);
    }

    /** bin/beckon ARGS on a pseudo-terminal: what a person at a terminal sees, escapes included. */
    private CommandResult onATerminal(Map<String, String> environment, String... args) throws Exception {
        StringBuilder line = new StringBuilder("exec ").append(CHECKOUT.resolve("bin/beckon"));
        for (String arg : args) {
            line.append(" '").append(arg.replace("'", "'\\''")).append('\'');
        }
        Map<String, String> withTerm = new HashMap<>(environment);
        withTerm.putIfAbsent("TERM", "xterm");
        return run(dir, withTerm, List.of("script", "--quiet", "--return", "--command", line.toString(), "/dev/null"));
    }

    @Test
    void colourAndUpdatingProgressOnlyOnATerminalAndNoColourUnderNoColor(SystemdUserManager systemd) throws Exception {
        Path model = writeModel(systemd);
        Map<String, String> env = Map.of("BECKON_HOME", dir.resolve("home").toString(), "NO_COLOR", "");

        CommandResult plan = onATerminal(env, "plan", model.toString());
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("  " + ESCAPE + "[32m+" + ESCAPE + "[0m hello  systemd-unit"), plan.stdout());

        CommandResult noColour = onATerminal(Map.of("BECKON_HOME", dir.resolve("home").toString(), "NO_COLOR", "1"), "plan",
                model.toString());
        assertEquals(0, noColour.exitCode(), noColour.toString());
        assertTrue(noColour.stdout().contains("  + hello  systemd-unit"), noColour.stdout());
        assertFalse(noColour.stdout().contains(ESCAPE), "NO_COLOR: no colour\n" + noColour.stdout());

        CommandResult pipedPlan = piped(env, "plan", model.toString());
        assertEquals(0, pipedPlan.exitCode(), pipedPlan.toString());
        assertTrue(pipedPlan.stdout().contains("  + hello  systemd-unit"), pipedPlan.stdout());
        assertFalse(pipedPlan.stdout().contains(ESCAPE), "into a pipe: plain text\n" + pipedPlan.stdout());

        CommandResult deploy = onATerminal(env, "deploy", model.toString());
        assertEquals(0, deploy.exitCode(), deploy.toString());
        // The target's line is printed once, then rewritten in place (cursor up one line, line cleared).
        assertEquals(1, deploy.stdout().split("\n  \\[local\\] ", -1).length - 1, "one line for target local\n" + deploy.stdout());
        assertTrue(deploy.stdout().contains("\r" + ESCAPE + "[1A" + ESCAPE + "[2K  [local] " + ESCAPE + "[32m+" + ESCAPE
                + "[0m hello  activated"), deploy.stdout());
        assertTrue(deploy.stdout().contains("Deployed generation 1 in "), deploy.stdout());

        CommandResult undeploy = piped(env, "undeploy");
        assertEquals(0, undeploy.exitCode(), undeploy.toString());
        assertTrue(undeploy.stdout().contains("\n  [local] - hello  deactivated  "), "plain progress lines\n" + undeploy.stdout());
        assertFalse(undeploy.stdout().contains(ESCAPE), undeploy.stdout());
    }

    @Test
    void mavenAsTheScriptsRunItPrintsNoEscapeCodes() throws Exception {
        // As bin/test runs it (batch mode), here offline: this module's build has fetched all that validate needs.
        CommandResult maven = run(CHECKOUT, List.of("mvn", "-B", "-o", "-Dstyle.color=never", "-pl", "models", "validate"));
        assertEquals(0, maven.exitCode(), maven.toString());
        assertTrue(maven.stdout().contains("BUILD SUCCESS"), maven.toString());
        assertFalse((maven.stdout() + maven.stderr()).contains(ESCAPE), "escape codes in Maven's output:\n" + maven);
    }
}
