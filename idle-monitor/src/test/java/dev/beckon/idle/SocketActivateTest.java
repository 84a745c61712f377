package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.idle.services.EchoService;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library under {@code systemd-socket-activate}, systemd's own tool for running a socket-activated
 * program by hand: it listens, and at the first connection execs the program with
 * {@code LISTEN_FDS}, {@code LISTEN_PID} and {@code LISTEN_FDNAMES}, so the child process is the service.
 */
class SocketActivateTest {
    private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

    @TempDir
    Path logs;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() {
        for (Process process : started) {
            Clients.kill(process.pid());
        }
    }

    @Test
    void servesOneNamedSocketFromListenFdsAndExitsZeroWhenIdle() throws Exception {
        int port = Clients.freePort();
        Process service = start(List.of("-l", "127.0.0.1:" + port, "--fdname=echo"), "300ms",
                List.of(ChildJvm.ADD_OPENS), "--names", "echo");

        // Taken before the connection, so that the idle clock cannot have started earlier: a lower bound only.
        long asking = System.nanoTime();
        String answer = Clients.askOnceListening(port, "hello");

        assertEquals("hello pid=" + service.pid() + " listener=echo", answer);
        assertTrue(service.waitFor(10, TimeUnit.SECONDS), "the service did not exit when idle; " + ChildJvm.logs(logs));
        long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asking);
        assertEquals(0, service.exitValue(), ChildJvm.logs(logs));
        assertTrue(idleMillis >= 300, "exited after " + idleMillis + " ms, before its idle timeout");
        assertTrue(ChildJvm.logs(logs).contains("idle for 300ms"), ChildJvm.logs(logs));
    }

    @Test
    void servesSeveralSocketsEachByItsNameWithoutAnyFlagOnTheCommandLine() throws Exception {
        int web = Clients.freePort();
        int admin = Clients.freePort();
        Process service = start(List.of("-l", "127.0.0.1:" + web, "-l", "127.0.0.1:" + admin, "--fdname=web:admin"), "500ms",
                List.of(), "--names", "admin,web");

        assertEquals("one pid=" + service.pid() + " listener=web", Clients.askOnceListening(web, "one"));
        assertEquals("two pid=" + service.pid() + " listener=admin", Clients.ask(admin, "two"));
        assertEquals("three pid=" + service.pid() + " listener=web", Clients.ask(web, "three"));

        assertTrue(service.waitFor(10, TimeUnit.SECONDS), ChildJvm.logs(logs));
        assertEquals(0, service.exitValue(), ChildJvm.logs(logs));
        String output = Files.readString(logs.resolve("output.txt"));
        assertFalse(output.contains("WARNING"), "the JVM warned about the access the library took itself: " + output);
    }

    @Test
    void loadsNoNativeBindingWithoutNotifySocket() throws Exception {
        int port = Clients.freePort();
        Path classes = logs.resolve("classes.txt");
        Process service = start(List.of("-l", "127.0.0.1:" + port, "--fdname=echo"), "200ms",
                List.of(ChildJvm.ADD_OPENS, "-Xlog:class+load=info:file=" + classes), "--names", "echo");

        Clients.askOnceListening(port, "hello");
        assertTrue(service.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, service.exitValue(), ChildJvm.logs(logs));

        List<String> loaded = Files.readAllLines(classes);
        assertTrue(loaded.stream().anyMatch(line -> line.contains("dev.beckon.idle.IdleMonitor ")), "class log is empty?");
        List<String> nativeBinding = loaded.stream()
                .filter(line -> line.contains(" jnr.") || line.contains(" com.kenai.jffi.") || line.contains("dev.beckon.idle.NotifyDatagram")
                        || line.contains("dev.beckon.idle.NativeBinding") || line.contains("dev.beckon.idle.binding."))
                .toList();
        assertEquals(List.of(), nativeBinding, "the native binding was loaded although NOTIFY_SOCKET is unset");
    }

    private Process start(List<String> sockets, String idleTimeout, List<String> jvmOptions, String... serviceArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(SOCKET_ACTIVATE.toString()));
        command.addAll(sockets);
        command.add("--setenv=BECKON_IDLE_TIMEOUT=" + idleTimeout);
        List<String> options = new ArrayList<>(jvmOptions);
        options.add("-Didle.test.logs=" + logs);
        command.addAll(ChildJvm.command(options, EchoService.class, serviceArgs));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve("output.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        started.add(process);
        return process;
    }

}
