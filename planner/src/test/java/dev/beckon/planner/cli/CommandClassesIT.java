package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each command loads only what it uses: {@code bin/beckon --version}, {@code validate}, and a {@code plan} and a
 * {@code deploy} that change nothing, run with the JVM's class-load log, load no library they do not need and no other command's
 * classes. The log names every class loaded, so this holds or fails the same way on any machine.
 *
 * <p>The plan's model uses an external module that does nothing (a module that prints nothing is trusted to run
 * what it activated), so it reaches no service manager: nothing of D-Bus may load; and it finds the recorded
 * manifest noted beside the profile's repository (the deployment noted it), so nothing of JGit either.
 */
class CommandClassesIT {
    private static final Pattern LOADED = Pattern.compile("\\] (\\S+) source:");
    private static final String JGIT = "org.eclipse.jgit.";
    private static final List<String> DBUS = List.of("org.freedesktop.dbus.", "com.github.hypfvieh.");
    private static final String JACKSON = "com.fasterxml.jackson.";

    @TempDir
    Path dir;

    @Test
    void versionValidateAndANoOpPlanLoadOnlyWhatTheyUse() throws IOException {
        Path modules = Files.createDirectories(dir.resolve("modules"));
        Path module = Files.writeString(modules.resolve("nothing"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwx------"));
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("services.toml"), """
                [services.idle]
                type = "nothing"
                exec = ["/bin/true"]
                """);
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                hostname = "127.0.0.1"
                [targets.local.containers.nothing]
                """);
        Files.writeString(model.resolve("distribution.toml"), "idle = [\"local\"]\n");
        BeckonProcess beckon = BeckonProcess.withEnvironment(Map.of(
                "XDG_STATE_HOME", dir.resolve("state").toString(), "XDG_RUNTIME_DIR", dir.resolve("run").toString(),
                "XDG_CACHE_HOME", dir.resolve("cache").toString(), "BECKON_START_ARCHIVE", "0",
                "BECKON_MODULE_PATH", modules.toString()));

        List<String> version = loaded(beckon, "version", "--version");
        assertNone(version, "--version", JGIT, JACKSON, DBUS.get(0), DBUS.get(1));
        assertOnlyCommand(version, "--version", "BeckonCommand");

        List<String> validate = loaded(beckon, "validate", "validate", model.toString());
        assertNone(validate, "validate", JGIT, DBUS.get(0), DBUS.get(1));
        assertOnlyCommand(validate, "validate", "ValidateCommand");

        BeckonProcess.Run deploy = beckon.run("deploy", model.toString());
        assertEquals(0, deploy.exitCode(), deploy.output());
        List<String> plan = loaded(beckon, "plan", "plan", model.toString());
        assertNone(plan, "a no-op plan without systemd", JGIT, DBUS.get(0), DBUS.get(1));
        assertOnlyCommand(plan, "plan", "PlanCommand");
        assertTrue(plan.contains("dev.beckon.planner.cli.PlanCommand"), "the log is read: " + plan.size() + " classes");

        // A deployment that changes nothing takes the profile's lock and finds the profile not shared without JGit.
        List<String> noOp = loaded(beckon, "no-op-deploy", "deploy", model.toString());
        assertNone(noOp, "a no-op deploy without systemd", JGIT, DBUS.get(0), DBUS.get(1));
        assertTrue(noOp.contains("dev.beckon.planner.cli.DeployCommand"), "the log is read: " + noOp.size() + " classes");
    }

    /** The classes {@code bin/beckon ARGS} loaded, by name, after checking that it succeeded. */
    private List<String> loaded(BeckonProcess beckon, String name, String... args) throws IOException {
        Path log = dir.resolve(name + "-classes.log");
        BeckonProcess.Run run = beckon.and("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log).run(args);
        assertEquals(0, run.exitCode(), run.output());
        try (Stream<String> lines = Files.lines(log)) {
            return lines.map(LOADED::matcher).filter(Matcher::find).map(matcher -> matcher.group(1)).toList();
        }
    }

    private static void assertNone(List<String> classes, String command, String... prefixes) {
        for (String prefix : prefixes) {
            List<String> found = classes.stream().filter(name -> name.startsWith(prefix)).toList();
            assertEquals(List.of(), found, command + " loads no " + prefix + "* class");
        }
    }

    /** Of beckon's command classes, {@code command} loads only its own (and the root command's). */
    private static void assertOnlyCommand(List<String> classes, String command, String own) {
        List<String> others = classes.stream()
                .filter(name -> name.startsWith("dev.beckon.planner.cli.") && name.matches(".*\\.[A-Za-z]+Command(\\$.*)?"))
                .filter(name -> !name.startsWith("dev.beckon.planner.cli.BeckonCommand") && !name.startsWith("dev.beckon.planner.cli." + own))
                .toList();
        assertEquals(List.of(), others, command + " loads no other command's classes");
    }
}
