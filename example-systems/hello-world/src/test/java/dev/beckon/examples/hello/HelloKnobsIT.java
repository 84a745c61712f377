package dev.beckon.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hello service's knob {@code greeting-case}, deployed by beckon into a real systemd user manager: flipped by
 * {@code beckon knob set} while a client loops, it changes the greetings of the same process; it outlives a restart and a reboot;
 * wrong input changes nothing; a new knob layout carries the value over and the plan says so.
 */
@ExtendWith(SystemdSandboxExtension.class)
class HelloKnobsIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final int PORT = 18080;
    private static final String SERVICE_UNIT = "beckon-default-hello.service";

    @Test
    void aKnobFlippedWhileAClientLoopsChangesTheGreetingsOfTheSameProcessAndOutlivesARestart(SystemdUserManager systemd,
            @TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        String services = Files.readString(EXAMPLE.resolve("services.toml"))
                .replace("package = \"target/hello-server\"", "package = \"" + EXAMPLE.resolve("target/hello-server") + "\"")
                // Long enough that the process the test follows cannot idle out between two of its steps.
                .replace("idle-timeout = \"5s\"", "idle-timeout = \"10m\"")
                + """

                [services.quiet]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-jar", "{package}/hello-server.jar"]
                ports = { greeting = 18081 }
                [services.quiet.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                """.formatted(EXAMPLE.resolve("target/hello-server"));
        Files.writeString(model.resolve("services.toml"), services);
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\nquiet = [\"local\"]\n");
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
        String home = dir.resolve("home").toString();

        succeeds(beckon("deploy", model.toString(), "--home", home));
        assertTrue(Files.isRegularFile(dir.resolve("state/services/default/hello/knobs")), "the deployment made the knob region");
        assertTrue(succeeds(beckon("knob", "list", "hello", "--home", home)).out().contains("greeting-case=as-written"));
        assertEquals("hello from local\n", greeting());
        long pid = Long.parseLong(show(systemd, SERVICE_UNIT, "MainPID"));
        assertTrue(pid > 0, "the first connection started the service");

        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        Thread client = new Thread(() -> {
            while (!done.get()) {
                try {
                    answers.add(greeting());
                } catch (IOException e) {
                    answers.add("ERROR " + e);
                }
            }
        });
        client.start();
        BeckonProcess.Run flip;
        try {
            awaitAnswers(answers, 3);
            flip = beckon("knob", "set", "hello", "greeting-case=upper", "--home", home);
            int answeredBefore = answers.size();
            awaitAnswers(answers, answeredBefore + 3);
        } finally {
            done.set(true);
            client.join();
        }
        succeeds(flip);
        assertEquals("hello@local: greeting-case=upper\n", flip.out());
        assertEquals("HELLO FROM LOCAL\n", greeting(), "a connection after the set is greeted by the new value");
        List<String> distinct = answers.stream().distinct().toList();
        assertEquals(List.of("hello from local\n", "HELLO FROM LOCAL\n"), distinct,
                "the looping client saw the old greeting, then only the new one, and no failure");
        int firstUpper = answers.indexOf("HELLO FROM LOCAL\n");
        assertFalse(answers.subList(firstUpper, answers.size()).contains("hello from local\n"), "once seen, the new value stays");
        assertEquals(pid, Long.parseLong(show(systemd, SERVICE_UNIT, "MainPID")), "the same process answers: no restart");

        // Wrong input: one line, exit 1, and nothing changed.
        Map<String, String> refusals = Map.of(
                "hello greeting-case=shout", "knob greeting-case is one of as-written, upper, not \"shout\"",
                "hello volume=11", "no knob \"volume\"",
                "hello greeting-case", "give the knob as NAME=VALUE",
                "quiet greeting-case=upper", "service quiet has no knobs",
                "nobody greeting-case=upper", "service nobody is not deployed");
        for (Map.Entry<String, String> wrong : refusals.entrySet()) {
            String[] words = wrong.getKey().split(" ");
            BeckonProcess.Run run = beckon("knob", "set", words[0], words[1], "--home", home);
            assertEquals(1, run.exitCode(), run.output());
            assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
            assertTrue(run.err().startsWith("beckon: error: ") && run.err().contains(wrong.getValue()), run.err());
        }
        assertEquals("HELLO FROM LOCAL\n", greeting(), "a refused set changed nothing");

        // A restart is a new process, which maps the same region: the value outlives it, as it does an idle exit.
        systemd.systemctl("stop", SERVICE_UNIT);
        assertEquals("HELLO FROM LOCAL\n", greeting());
        assertNotEquals(pid, Long.parseLong(show(systemd, SERVICE_UNIT, "MainPID")), "the greeting came from a new process");

        // A new knob: the layout changes, which the plan names with what carries over, and the value is kept.
        Files.writeString(model.resolve("services.toml"), services.replace("default = \"as-written\" }",
                "default = \"as-written\" }\nrepeat = { type = \"int\", min = 1, max = 3, default = 1 }"));
        String plan = succeeds(beckon("plan", model.toString(), "--home", home)).out();
        assertTrue(plan.contains("knob layout changed; values carried over: greeting-case; at their default: repeat"), plan);
        succeeds(beckon("deploy", model.toString(), "--home", home));
        String listed = succeeds(beckon("knob", "list", "hello", "--home", home)).out();
        assertTrue(listed.contains("greeting-case=upper") && listed.contains("repeat=1"), listed);
        assertEquals("HELLO FROM LOCAL\n", greeting());
        BeckonProcess.Run outOfRange = beckon("knob", "set", "hello", "repeat=4", "--home", home);
        assertEquals(1, outOfRange.exitCode(), outOfRange.output());
        assertTrue(outOfRange.err().contains("out of range"), outOfRange.err());

        // A reboot: every process dies and /run is emptied. The socket, enabled, listens again in the new manager, and the
        // first connection starts a process that maps the region in the state directory, which kept the value.
        systemd.reboot();
        assertEquals("active", show(systemd, "beckon-default-hello.socket", "ActiveState"), "the new manager listens by itself");
        assertEquals("HELLO FROM LOCAL\n", greeting(), "after a reboot, the first connection is greeted by the value set before");
    }

    private static void awaitAnswers(List<String> answers, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (answers.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(answers.size() >= count, "the client got only " + answers.size() + " answers");
    }

    private static BeckonProcess.Run succeeds(BeckonProcess.Run run) {
        assertEquals(0, run.exitCode(), run.output());
        return run;
    }

    private static BeckonProcess.Run beckon(String... args) {
        return BeckonProcess.withEnvironment(Map.of()).run(args);
    }

    private static String show(SystemdUserManager systemd, String unit, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", unit).stdout().strip();
    }

    private static String greeting() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", PORT), 5_000);
            socket.setSoTimeout(30_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
