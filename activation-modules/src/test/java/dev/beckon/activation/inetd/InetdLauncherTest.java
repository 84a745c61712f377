package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.ArgvRecorder;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.SocketPassing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher inetd and xinetd start, run here directly as inetd runs it: with no PATH
 * (openbsd-inetd launders it away) and the argv inetd passes.
 */
class InetdLauncherTest {
    @TempDir
    Path directory;

    @Test
    void everyCharacterButNulReachesTheServiceAsTheModelWroteIt() throws Exception {
        Path record = directory.resolve("record");
        TreeMap<String, String> environment = new TreeMap<>(Map.of("RECORD_TO", record.toString()));
        for (int i = 0; i < SuperServerModuleContract.HOSTILE.size(); i++) {
            environment.put("HOSTILE_" + i, SuperServerModuleContract.HOSTILE.get(i));
        }
        ServiceInstance instance = instance(TestServices.javaCommand(ArgvRecorder.class,
                SuperServerModuleContract.HOSTILE.toArray(String[]::new)), environment);
        run(instance, Optional.of(directory.resolve("log")));
        assertEquals(SuperServerModuleContract.HOSTILE, ArgvRecorder.arguments(record));
        List<String> received = ArgvRecorder.environment(record);
        environment.forEach((name, value) -> assertTrue(received.contains(name + "=" + value), name));
        assertTrue(received.contains("BECKON_IDLE_TIMEOUT=1s500ms"), received.toString());
        assertTrue(received.contains("BECKON_LAUNCHER=" + Launcher.path(instance)), received.toString());
        assertTrue(received.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), "a PATH although inetd passed none");
    }

    @Test
    void aBareProgramNameIsFoundOnTheDefaultPathAndTheModelMayOverrideIt() throws Exception {
        Path out = directory.resolve("out");
        ServiceInstance shell = instance(List.of("sh", "-c", "echo \"$PATH\" > \"$1\"", "sh", out.toString()), new TreeMap<>());
        run(shell, Optional.empty());
        assertEquals("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", Files.readString(out));
        ServiceInstance own = instance(List.of("/bin/sh", "-c", "echo \"$PATH\" > \"$1\"", "sh", out.toString()),
                new TreeMap<>(Map.of("PATH", "/opt/own/bin:/bin")));
        run(own, Optional.empty());
        assertEquals("/opt/own/bin:/bin\n", Files.readString(out));
    }

    @Test
    void outputGoesToTheLogWhichIsRotatedAtOneMebibyte() throws Exception {
        Path log = directory.resolve("hello.log");
        ServiceInstance talker = instance(List.of("/bin/sh", "-c", "echo to stdout; echo to stderr >&2"), new TreeMap<>());
        run(talker, Optional.of(log));
        assertEquals("to stdout\nto stderr\n", Files.readString(log));
        Files.write(log, new byte[(1 << 20) + 1]);
        run(talker, Optional.of(log));
        assertEquals((1 << 20) + 1, Files.size(log.resolveSibling("hello.log.1")));
        assertEquals("to stdout\nto stderr\n", Files.readString(log));
    }

    @Test
    void aNulOrALoneSurrogateCannotBeRendered() {
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> Launcher.render(instance(List.of("/bin/echo", "a\0b"), new TreeMap<>()), Optional.empty()));
        assertEquals("hello@local: argument 1 of its exec \"a\\u0000b\" holds a NUL byte, which no program can receive", nul.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Launcher.render(instance(List.of("/bin/echo"), new TreeMap<>(Map.of("X", "\ud800"))), Optional.empty()));
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> Launcher.render(instance(List.of("/bin/echo"), new TreeMap<>(Map.of("A B", "x"))), Optional.empty()));
        assertTrue(name.getMessage().contains("\"A B\" is not a shell variable name"), name.getMessage());
        assertFalse(Launcher.render(instance(List.of("/bin/echo"), new TreeMap<>()), Optional.empty()).contains("\0"));
    }

    @Test
    void forListenFdsTheSocketOnStandardInputMovesToFdThreeWithTheVariablesOfSdListenFds() throws Exception {
        Path out = directory.resolve("out");
        Path socketStandIn = Files.writeString(directory.resolve("stand-in"), "what inetd put on fd 0\n");
        String report = "echo \"$LISTEN_FDS $LISTEN_FDNAMES $([ \"$LISTEN_PID\" = \"$$\" ] && echo own-pid) $(readlink /proc/self/fd/0)\" > \"$1\";"
                + " cat <&3 >> \"$1\"";
        ServiceInstance fds = instance(List.of("/bin/sh", "-c", report, "sh", out.toString()), new TreeMap<>(), SocketPassing.LISTEN_FDS);
        runWithStandardInput(fds, socketStandIn);
        assertEquals("1 http own-pid /dev/null\nwhat inetd put on fd 0\n", Files.readString(out));

        ServiceInstance stdin = instance(List.of("/bin/sh", "-c", "echo \"[$LISTEN_FDS]\" > \"$1\"; cat >> \"$1\"", "sh", out.toString()),
                new TreeMap<>(), SocketPassing.STDIN);
        runWithStandardInput(stdin, socketStandIn);
        assertEquals("[]\nwhat inetd put on fd 0\n", Files.readString(out), "stdin leaves the socket where inetd put it");
    }

    private void runWithStandardInput(ServiceInstance instance, Path standardInput) throws Exception {
        Path launcher = Launcher.path(instance);
        AtomicFiles.write(launcher, Launcher.render(instance, Optional.empty(), true), Launcher.PERMISSIONS);
        ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "beckon-test-hello").redirectErrorStream(true)
                .redirectInput(standardInput.toFile());
        builder.environment().clear();
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
    }

    private ServiceInstance instance(List<String> exec, TreeMap<String, String> environment, SocketPassing pass) {
        return new ServiceInstance("test", "hello", "local", "inetd", "", new ArrayList<>(exec), environment,
                new TreeMap<>(Map.of("http", 1)),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 1)),
                        Duration.ofMillis(1500), false, pass)),
                Optional.empty(), directory.resolve("store/0123-hello"), new TreeMap<>(), directory);
    }

    /** Runs the launcher as inetd would: written to its place, started with nothing but a locale. */
    private void run(ServiceInstance instance, Optional<Path> log) throws Exception {
        Path launcher = Launcher.path(instance);
        AtomicFiles.write(launcher, Launcher.render(instance, log), Launcher.PERMISSIONS);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(launcher)));
        ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "beckon-test-hello").redirectErrorStream(true);
        // openbsd-inetd launders PATH away but passes the locale, without which a JVM decodes its argv as ASCII.
        builder.environment().clear();
        builder.environment().put("LANG", "C.UTF-8");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
    }

    private ServiceInstance instance(List<String> exec, TreeMap<String, String> environment) {
        return new ServiceInstance("test", "hello", "local", "inetd", "", new ArrayList<>(exec), environment, new TreeMap<>(),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 1)),
                        Duration.ofMillis(1500), false)),
                Optional.empty(), directory.resolve("store/0123-hello"), new TreeMap<>(), directory);
    }
}
