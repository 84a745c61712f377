package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.ArgvRecorder;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.SystemdLimits;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** No value from a model can change a unit beyond the value itself: proven by reading it back from systemd. */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdEscapingTest {
    /** Strings that would break or inject into a unit file written naively. */
    static final List<String> HOSTILE = List.of(
            "plain",
            "",
            "two words",
            "  leading and trailing  ",
            "%n %i %% %",
            "$HOME ${HOME} $$ $",
            "\"double\" 'single' `back`",
            "back\\slash\\",
            "\\n is not a newline, \\x41 is not A",
            "line one\nExecStartPre=/bin/touch /tmp/beckon-pwned",
            "tab\there\rcarriage",
            "\u0001\u001f\u007f control",
            "; | & && || > < $(id) `id`",
            "ünïcødé ☃ 𝄞",
            "--option=value with = signs");

    @TempDir
    Path state;

    private SystemdUserManager systemd;
    private SystemdFixture fixture;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        this.systemd = systemd;
        fixture = new SystemdFixture(systemd, state);
    }

    private ServiceInstance hostileInstance() throws Exception {
        List<String> exec = new ArrayList<>(TestServices.javaCommand(ArgvRecorder.class));
        exec.addAll(HOSTILE);
        TreeMap<String, String> environment = new TreeMap<>();
        environment.put("RECORD_TO", state.resolve("record").toString());
        for (int i = 0; i < HOSTILE.size(); i++) {
            environment.put("VALUE_" + i, HOSTILE.get(i));
        }
        int port = TestServices.freePort();
        ServiceInstance base = fixture.instance("hostile", exec, Map.of("http", port), Optional.of(new ServiceInstance.Activation(
                List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), port)), Duration.ofSeconds(5), false)));
        return new ServiceInstance(base.profile(), base.service(), base.target(), base.type(),
                "description with %i, $HOME, a back\\slash and a\nnewline\\", base.exec(), environment, base.ports(), base.onDemand(),
                base.packagePath(), base.instanceDirectory(), base.container(), base.stateDirectory());
    }

    @Test
    void systemdReadsBackExactlyTheArgvAndEnvironmentOfTheModel() throws Exception {
        ServiceInstance hostile = hostileInstance();
        try (SystemdSession session = fixture.open(); SystemdBus bus = SystemdBus.connect(systemd.busAddress())) {
            session.install(List.of(hostile));
            session.flush();

            // systemd keeps the argv as written and expands $ only when it starts the program, so over
            // D-Bus every $ is still doubled; what the program receives is checked below.
            Object execStart = bus.property("beckon-test-hostile.service", "org.freedesktop.systemd1.Service", "ExecStart");
            assertEquals(hostile.exec().stream().map(a -> a.replace("$", "$$")).toList(), argvOf(execStart));

            @SuppressWarnings("unchecked")
            List<String> environment = (List<String>) bus.property("beckon-test-hostile.service",
                    "org.freedesktop.systemd1.Service", "Environment");
            List<String> expected = new ArrayList<>();
            hostile.environment().forEach((name, value) -> expected.add(name + "=" + value));
            expected.add("BECKON_IDLE_TIMEOUT=5s");
            assertEquals(expected, environment);

            String description = bus.unitProperty("beckon-test-hostile.service", "Description");
            // A backslash shows as written, and one at the end does not continue the line.
            assertEquals("description with %i, $HOME, a back\\slash and a newline\\ (beckon hostile@local)", description);
            session.activate(hostile);
            TestServices.greeting(hostile.ports().get("http"));
            Path record = state.resolve("record");
            for (int i = 0; i < 200 && !Files.exists(record); i++) {
                Thread.sleep(25);
            }
            List<String> started = ArgvRecorder.arguments(record);
            assertEquals(HOSTILE, started, "the program must receive exactly the model's argv");
            assertTrue(ArgvRecorder.environment(record).containsAll(expected), ArgvRecorder.environment(record).toString());
            assertFalse(Files.exists(Path.of("/tmp/beckon-pwned")));
            session.deactivate(hostile);
        }
    }

    @Test
    void renderedUnitsPassSystemdAnalyzeVerify(@TempDir Path units) throws Exception {
        ServiceInstance hostile = hostileInstance();
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "--user", "verify"));
        for (RenderedFile file : new SystemdUnitModule().render(hostile).files()) {
            Files.writeString(units.resolve(file.name()), file.content());
            command.add(units.resolve(file.name()).toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("XDG_RUNTIME_DIR", systemd.runtimeDirectory().toString());
        Process verify = builder.start();
        String output = new String(verify.getInputStream().readAllBytes());
        assertEquals(0, verify.waitFor(), output);
        assertEquals("", output.strip());
    }

    /** The model measures unit lines before anything is rendered; it must count what is written here. */
    @Test
    void theModelMeasuresEscapedValuesAsTheyAreWritten() {
        for (String value : HOSTILE) {
            assertEquals(utf8(UnitSyntax.execArgument(value)), SystemdLimits.quotedLength(value, true), value);
            assertEquals(utf8(UnitSyntax.environmentAssignment("NAME", value)), SystemdLimits.quotedLength("NAME=" + value, false),
                    value);
            assertTrue(utf8(UnitSyntax.text(value)) <= SystemdLimits.textLength(value), value);
        }
    }

    private static long utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    @Test
    void aProgramNameThatSystemdWouldReadAsAPrefixIsRefused() {
        ServiceInstance prefixed = fixture.daemon("prefixed", List.of("-rm", "-rf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SystemdUnitModule().render(prefixed));
        assertTrue(e.getMessage().contains("ExecStart= prefix"), e.getMessage());
    }

    /** ExecStart is {@code a(sasbttttuii)}: (path, argv, ignore-failure, timestamps, pid, code, status). */
    private static List<String> argvOf(Object execStart) {
        List<?> commands = (List<?>) execStart;
        assertEquals(1, commands.size(), String.valueOf(execStart));
        Object command = commands.get(0);
        Object argv = command instanceof Object[] fields ? fields[1] : ((org.freedesktop.dbus.Struct) command).getParameters()[1];
        List<String> out = new ArrayList<>();
        for (Object word : (List<?>) argv) {
            out.add((String) word);
        }
        return out;
    }
}
