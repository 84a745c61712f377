package dev.beckon.reliability;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.ArgvRecorder;
import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.models.Messages;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken and hostile models against a target that runs a deployed service. Every model under
 * {@code hostile-models/} is deployed with {@code beckon deploy}: it must exit 1 with exactly the errors
 * of its {@code expected-errors.txt} (file:line:column, paths relative to the model), and leave the
 * target byte for byte as it was, its service still served by the same process. The files hold tokens
 * for what only the test knows: {@code @STATE@}, {@code @BUS@} and {@code @JOURNAL@} (the target's),
 * {@code @HUGE@} (200,000 characters), {@code @DEEP@} (arrays nested 1,001 deep), {@code @DEEPKEY@} (a dotted key
 * 40,000 levels deep).
 */
@ExtendWith(SystemdSandboxExtension.class)
class HostileModelsIT {
    private static final Path MARKER = Path.of("/tmp/beckon-pwned");

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> everyHostileModelIsRejectedWithItsErrorsAndChangesNothing(SystemdUserManager systemd) throws Exception {
        Path state = dir.resolve("state");
        String home = dir.resolve("home").toString();
        int port = TestServices.freePort();
        Map<String, String> tokens = Map.of("@STATE@", state.toString(), "@BUS@", systemd.busAddress(),
                "@JOURNAL@", systemd.journalDirectory().toString(), "@HUGE@", "x".repeat(200_000),
                "@DEEP@", "[".repeat(1001) + "]".repeat(1001), "@DEEPKEY@", "environment." + "a.".repeat(40_000) + "b");

        Path deployed = Files.createDirectories(dir.resolve("deployed"));
        Files.writeString(deployed.resolve("infrastructure.toml"), substitute(Files.readString(corpus().resolve(
                "toml-syntax/infrastructure.toml")), tokens));
        Files.writeString(deployed.resolve("distribution.toml"), "hello = [\"local\"]\n");
        Files.writeString(deployed.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", "{package}", "%s", "hello v1"]
                class-data-archive = false
                ports = { http = %d }
                [services.hello.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                """.formatted(codeSource(GreetingServer.class), GreetingServer.class.getName(), port));
        Run first = beckon("deploy", deployed.toString(), "--home", home);
        assertEquals(0, first.exitCode(), first.out() + first.err());
        String greeting = TestServices.greeting(port);
        String before = snapshot(systemd, state, port);
        String generations = beckon("generations", "--home", home).out();

        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> cases = Files.list(corpus())) {
            for (Path source : cases.filter(Files::isDirectory).sorted().toList()) {
                String name = source.getFileName().toString();
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    Path model = Files.createDirectories(dir.resolve("cases").resolve(name));
                    for (String file : List.of("services.toml", "infrastructure.toml", "distribution.toml")) {
                        Files.writeString(model.resolve(file), substitute(Files.readString(source.resolve(file)), tokens));
                    }
                    Run run = beckon("deploy", model.toString(), "--home", home);

                    assertEquals(1, run.exitCode(), run.out() + run.err());
                    assertEquals("", run.out());
                    List<String> errors = run.err().lines().map(l -> l.replace(model + "/", "")).toList();
                    String expected = substitute(Files.readString(source.resolve("expected-errors.txt")), tokens);
                    assertEquals(expected, String.join("\n", errors.subList(0, errors.size() - 1)) + "\n");
                    assertTrue(errors.get(errors.size() - 1).matches("\\d+ errors?"), errors.get(errors.size() - 1));
                    assertEquals(before, snapshot(systemd, state, port), "the target changed");
                    assertFalse(Files.exists(MARKER), MARKER + " was made");
                }));
            }
        }
        tests.add(DynamicTest.dynamicTest("and after all of them", () -> {
            assertEquals(greeting, TestServices.greeting(port), "the same process still greets");
            assertEquals(generations, beckon("generations", "--home", home).out());
            assertEquals(before, snapshot(systemd, state, port));
        }));
        return tests.stream();
    }

    /**
     * What beckon must accept, it must pass on exactly: hostile text in every free-text field (the
     * description, exec arguments, environment values, target properties through placeholders, the
     * package's file name, the state directory's path) reaches the service byte for byte, writes no
     * directive of its own into a unit, and forges no line of beckon's output.
     */
    @Test
    void hostileTextThatIsValidReachesTheServiceExactlyAsWrittenAndNothingElse(SystemdUserManager systemd) throws Exception {
        List<String> hostile = List.of("%n %i %% %", "$HOME ${HOME} $$ $", "\"double\" 'single' `back`", "back\\slash\\",
                "line one\nFORGED ExecStartPre=/bin/touch " + MARKER, "tab\there\rcarriage", "; | & && || > < $(id) `id`",
                "\u0001\u001f\u007f control", "ünïcødé ☃ 𝄞", "--option=value with = signs", "{braces} {{twice}}", "");
        Path state = dir.resolve("state %n $HOME 'single' \"double\" \\ ;");
        Path record = dir.resolve("record %n $HOME 'q' \"dq\"");
        Path model = Files.createDirectories(dir.resolve("accepted"));
        Path recorder = codeSource(ArgvRecorder.class);
        Path pkg = dir.resolve("package %n $HOME 'q' \"dq\" ;\nFORGED" + (Files.isDirectory(recorder) ? "" : ".jar"));
        copy(recorder, pkg);
        int port = TestServices.freePort();
        String motto = "%i ${HOME} \"; ExecStartPre=/bin/touch " + MARKER + "\nFORGED";

        StringBuilder exec = new StringBuilder("[\"java\", \"-cp\", \"{package}\", \"" + ArgvRecorder.class.getName() + "\"");
        StringBuilder environment = new StringBuilder("RECORD_TO = " + toml(record.toString()) + ", MOTTO = \"{target.properties.motto}\"");
        for (int i = 0; i < hostile.size(); i++) {
            // Braces are beckon's placeholders; doubled, they are braces.
            String literal = toml(hostile.get(i).replace("{", "{{").replace("}", "}}"));
            exec.append(", ").append(literal);
            environment.append(", VALUE_").append(i).append(" = ").append(literal);
        }
        exec.append(", \"{target.properties.motto}\"]");
        Files.writeString(model.resolve("services.toml"), """
                [services.hostile]
                type = "systemd-unit"
                description = %s
                package = %s
                exec = %s
                environment = { %s }
                ports = { http = %d }
                [services.hostile.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                """.formatted(toml("%n $HOME \"q\" 'q' \\ ;\nFORGED ExecStartPre=/bin/touch " + MARKER), toml(pkg.toString()), exec,
                environment, port));
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                state-dir = %s
                properties = { motto = %s }
                [targets.local.containers.systemd-unit]
                bus = "%s"
                journal-directory = "%s"
                """.formatted(toml(state.toString()), toml(motto), systemd.busAddress(), systemd.journalDirectory()));
        Files.writeString(model.resolve("distribution.toml"), "hostile = [\"local\"]\n");
        String home = dir.resolve("home").toString();

        Run deploy = beckon("deploy", model.toString(), "--home", home, "--profile", "accepted");
        assertEquals(0, deploy.exitCode(), deploy.out() + deploy.err());
        String shown = deploy.out() + deploy.err();
        for (String line : shown.split("\n")) {
            assertFalse(line.startsWith("FORGED"), "a value forged a line of output:\n" + shown);
        }
        assertFalse(shown.codePoints().anyMatch(c -> c != '\n' && Messages.isControl(c)),
                "a control character reached the output, where it could overwrite a line:\n" + shown);
        TestServices.greeting(port);
        for (int attempt = 0; attempt < 200 && !Files.exists(record); attempt++) {
            Thread.sleep(50);
        }
        List<String> arguments = new ArrayList<>(hostile);
        arguments.add(motto);
        assertEquals(arguments, ArgvRecorder.arguments(record));
        Map<String, String> environmentSeen = new TreeMap<>();
        ArgvRecorder.environment(record).forEach(e -> environmentSeen.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
        for (int i = 0; i < hostile.size(); i++) {
            assertEquals(hostile.get(i), environmentSeen.get("VALUE_" + i), "VALUE_" + i);
        }
        assertEquals(motto, environmentSeen.get("MOTTO"));
        assertEquals(record.toString(), environmentSeen.get("RECORD_TO"));
        assertEquals("", systemd.systemctl("show", "--property=ExecStartPre", "--value", "beckon-accepted-hostile.service")
                .stdout().strip(), "no value became a directive of its own");
        assertFalse(Files.exists(MARKER), MARKER + " was made");
        try (Stream<Path> store = Files.list(state.resolve("store"))) {
            assertTrue(store.anyMatch(p -> p.getFileName().toString().endsWith(pkg.getFileName().toString())),
                    "the package is in the store under its own name");
        }

        Files.writeString(model.resolve("distribution.toml"), "");
        Run removed = beckon("deploy", model.toString(), "--home", home, "--profile", "accepted");
        assertEquals(0, removed.exitCode(), removed.out() + removed.err());
    }

    private static String snapshot(SystemdUserManager systemd, Path state, int port) throws IOException {
        return TargetSnapshot.of(systemd, state, List.of(port));
    }

    private static String substitute(String text, Map<String, String> tokens) {
        for (Map.Entry<String, String> token : tokens.entrySet()) {
            text = text.replace(token.getKey(), token.getValue());
        }
        return text;
    }

    private static Path corpus() throws URISyntaxException {
        return Path.of(HostileModelsIT.class.getResource("/hostile-models").toURI());
    }

    private static Path codeSource(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** A TOML basic string holding exactly {@code text}. */
    private static String toml(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            if (c == '"' || c == '\\') {
                out.append('\\').appendCodePoint(c);
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04X", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append('"').toString();
    }

    private static void copy(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
            return;
        }
        try (Stream<Path> tree = Files.walk(from)) {
            for (Path source : tree.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
