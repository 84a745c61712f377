package dev.beckon.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
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
 * The hello-world example as a user meets it: its model, its server, and the whole chain deployed by
 * beckon into a real systemd user manager: on demand, idle exit, upgrade and rollback under load,
 * and removal.
 */
@ExtendWith(SystemdSandboxExtension.class)
class HelloWorldIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final int PORT = 18080;

    @Test
    void theModelIsValidAndPlacesHelloOnDemandOnTheLocalTarget() throws Exception {
        SystemModel model = ModelLoader.load(EXAMPLE);
        InstanceSpec hello = model.instances().get(0);
        assertEquals("hello@local", hello.id());
        assertEquals(Duration.ofSeconds(5), hello.service().onDemand().orElseThrow().idleTimeout());
        assertTrue(Files.isRegularFile(hello.service().packagePath().orElseThrow().resolve("hello-server.jar")),
                "the model's package is the built server with its libraries");
    }

    @Test
    void startedByHandTheServerListensItselfAndGreetsEveryClient() throws Exception {
        int port = Clients.freePort();
        Process server = new ProcessBuilder("java", "-jar", EXAMPLE.resolve("target/hello-server/hello-server.jar").toString(),
                "--greeting", "hello by hand", "--port", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertEquals("hello by hand\n", greetingWhenListening(port, server));
            assertEquals("hello by hand\n", greetingWhenListening(port, server), "a second client is greeted too");
        } finally {
            server.destroyForcibly().waitFor();
        }
    }

    @Test
    void deployedByBeckonItIsActivatedOnDemandIdlesOutUpgradesAndRollsBackWithoutRefusingAConnection(
            SystemdUserManager systemd, @TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        writeModel(model, "hello from {target.name}");
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

        String[] security = beckon("plan", model.toString(), "--home", home, "--security");
        assertDeploys(security);
        assertTrue(java.util.regex.Pattern.compile("hello@local beckon-default-hello\\.service \\(user\\): [0-9]+\\.[0-9] [A-Z]+\n")
                .matcher(security[1]).find(), security[1] + security[2]);
        assertDeploys(beckon("deploy", model.toString(), "--home", home));
        // Hardened by default, as far as a user manager goes; the greetings below show it still serves.
        assertEquals("yes", show(systemd, "beckon-default-hello.service", "NoNewPrivileges"));
        assertEquals("AF_INET AF_INET6 AF_UNIX", show(systemd, "beckon-default-hello.service", "RestrictAddressFamilies"));
        assertEquals("active", show(systemd, "beckon-default-hello.socket", "ActiveState"), "the socket listens");
        assertEquals("inactive", show(systemd, "beckon-default-hello.service", "ActiveState"), "no process runs yet");

        assertEquals("hello from local\n", greeting(systemd));
        long pid = Long.parseLong(show(systemd, "beckon-default-hello.service", "MainPID"));
        assertTrue(pid > 0, "the first connection started the service");
        assertTrue(awaitExit(pid, Duration.ofSeconds(60)), "the service did not end itself after its idle timeout");
        assertEquals("success", show(systemd, "beckon-default-hello.service", "Result"), "an idle exit is a clean one");
        assertEquals("active", show(systemd, "beckon-default-hello.socket", "ActiveState"));
        assertEquals("hello from local\n", greeting(systemd), "the next connection starts it again");

        writeModel(model, "hello again from {target.name}");
        List<String> upgrade = underLoad(() -> assertDeploys(beckon("deploy", model.toString(), "--home", home)));
        assertEquals(List.of(), failures(upgrade), "connections refused or reset during the upgrade");
        assertEquals("hello again from local\n", greeting());

        List<String> rollback = underLoad(() -> assertDeploys(beckon("rollback", "--home", home)));
        assertEquals(List.of(), failures(rollback), "connections refused or reset during the rollback");
        assertEquals("hello from local\n", greeting());

        Files.writeString(model.resolve("distribution.toml"), "");
        assertDeploys(beckon("deploy", model.toString(), "--home", home));
        try (var units = Files.list(systemd.unitDirectory())) {
            assertEquals(List.of(), units.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList());
        }
        assertEquals(List.of(), systemd.processes().stream().filter(p -> ProcessHandle.of(p).flatMap(h -> h.info().commandLine())
                .filter(c -> c.contains("hello-server.jar")).isPresent()).toList(), "no hello process is left");
        assertFalse(listening(PORT), "nothing listens on the example's port any more");
    }

    private static void writeModel(Path model, String greeting) throws IOException {
        String services = Files.readString(EXAMPLE.resolve("services.toml"))
                .replace("package = \"target/hello-server\"", "package = \"" + EXAMPLE.resolve("target/hello-server") + "\"")
                .replace("hello from {target.name}", greeting);
        Files.writeString(model.resolve("services.toml"), services);
        Files.copy(EXAMPLE.resolve("distribution.toml"), model.resolve("distribution.toml"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Runs {@code change} while a client connects again and again; returns every answer or error it got. */
    private static List<String> underLoad(Runnable change) throws InterruptedException {
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        Thread client = new Thread(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            for (int i = 0; i < 10_000 && !done.get() && System.nanoTime() < deadline; i++) {
                try {
                    answers.add(greeting());
                } catch (IOException e) {
                    answers.add("ERROR " + e);
                }
            }
        });
        client.start();
        try {
            change.run();
        } finally {
            done.set(true);
            client.join();
        }
        assertTrue(answers.size() > 5, "the client made too few connections to prove anything: " + answers.size());
        return answers;
    }

    private static List<String> failures(List<String> answers) {
        return answers.stream().filter(a -> a.startsWith("ERROR")).toList();
    }

    private static void assertDeploys(String[] run) {
        assertEquals("0", run[0], run[1] + run[2]);
    }

    private static String[] beckon(String... args) {
        BeckonProcess.Run run = BeckonProcess.withEnvironment(Map.of()).run(args);
        return new String[] {String.valueOf(run.exitCode()), run.out(), run.err()};
    }

    private static String show(SystemdUserManager systemd, String unit, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", unit).stdout().strip();
    }

    /** A greeting, or a failure that shows what the service and systemd logged. */
    private static String greeting(SystemdUserManager systemd) throws IOException {
        try {
            return greeting();
        } catch (IOException e) {
            throw new AssertionError("no greeting (" + e + "); the journal says:\n" + journal(systemd), e);
        }
    }

    private static String journal(SystemdUserManager systemd) {
        try {
            Process journalctl = new ProcessBuilder("journalctl", "--directory=" + systemd.journalDirectory(), "--no-pager",
                    "-n", "60", "-o", "short-iso").redirectErrorStream(true).start();
            String text = new String(journalctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            journalctl.waitFor();
            return text;
        } catch (IOException e) {
            return "(cannot read it: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private static String greeting() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", PORT), 5_000);
            socket.setSoTimeout(30_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean awaitExit(long pid, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    private static String greetingWhenListening(int port, Process server) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                socket.setSoTimeout(10_000);
                return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException notYet) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the hello server did not listen on " + port + " (alive: " + server.isAlive() + ")", notYet);
                }
                Thread.sleep(50);
            }
        }
    }
}
