package dev.beckon.examples.cgreeter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.InstanceSpec;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SocketPassing;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program nobody wrote for beckon: the C server, built here with gcc against libsystemd, taking its
 * socket with sd_listen_fds(). Deployed on demand by {@code bin/beckon} (the built jar, as a process)
 * into a real systemd user manager: served at the first connection, idle exit, upgrade and rollback
 * under a looping client, removal; and, exiting after every connection, a thousand connections in a row.
 */
@ExtendWith(SystemdSandboxExtension.class)
class CGreeterIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final Path BECKON = EXAMPLE.resolve("../../bin/beckon").normalize();
    private static final Path BINARY = EXAMPLE.resolve("target/c-greeter/c-greeter");
    private static final int PORT = 18120;
    private static final String UNIT = "beckon-default-greeter";

    @BeforeAll
    static void buildTheServer() throws Exception {
        Files.createDirectories(BINARY.getParent());
        String flags = run(List.of("pkg-config", "--cflags", "--libs", "libsystemd")).strip();
        List<String> gcc = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", BINARY.toString(),
                EXAMPLE.resolve("src/main/c/c-greeter.c").toString()));
        gcc.addAll(List.of(flags.split("\\s+")));
        run(gcc);
    }

    @Test
    void theModelIsValidAndPassesTheSocketAsSdListenFdsExpects() throws Exception {
        SystemModel model = ModelLoader.load(EXAMPLE);
        InstanceSpec greeter = model.instances().get(0);
        assertEquals("greeter@local", greeter.id());
        assertEquals(SocketPassing.LISTEN_FDS, greeter.service().onDemand().orElseThrow().pass());
    }

    @Test
    void deployedByBeckonItIsServedOnDemandIdlesOutUpgradesRollsBackAndIsRemoved(SystemdUserManager systemd, @TempDir Path dir)
            throws Exception {
        Path model = writeModel(dir, systemd, "hello from C on {target.name}", List.of("--exit-when-idle", "2"), "2s");
        String home = dir.resolve("home").toString();

        assertSucceeds(beckon("deploy", model.toString(), "--home", home));
        assertEquals("active", show(systemd, UNIT + ".socket", "ActiveState"), "the socket listens");
        assertEquals("inactive", show(systemd, UNIT + ".service", "ActiveState"), "no process runs yet");

        // The server names the socket it was handed: sd_listen_fds_with_names() found fd 3 and LISTEN_FDNAMES.
        assertEquals("hello from C on local (socket greeting)\n", greeting());
        long pid = Long.parseLong(show(systemd, UNIT + ".service", "MainPID"));
        assertTrue(pid > 0, "the first connection started the service");
        assertTrue(awaitExit(pid, Duration.ofSeconds(20)), "the server did not exit when idle");
        assertEquals("success", show(systemd, UNIT + ".service", "Result"), "an idle exit is a clean one");
        assertEquals("active", show(systemd, UNIT + ".socket", "ActiveState"));
        assertEquals("hello from C on local (socket greeting)\n", greeting(), "the next connection starts it again");

        writeServices(model, "upgraded C on {target.name}", List.of("--exit-when-idle", "2"), "2s");
        List<String> upgrade = underLoad(() -> assertSucceeds(beckon("deploy", model.toString(), "--home", home)));
        assertEquals(List.of(), failures(upgrade), "connections refused or reset during the upgrade");
        assertEquals("upgraded C on local (socket greeting)\n", greeting());

        List<String> rollback = underLoad(() -> assertSucceeds(beckon("rollback", "--home", home)));
        assertEquals(List.of(), failures(rollback), "connections refused or reset during the rollback");
        assertEquals("hello from C on local (socket greeting)\n", greeting());

        // Its knob greeting-case, read by the C server with plain mmap of BECKON_KNOBS: set while the socket is served, it
        // greets the next client (whether the same process or one started after an idle exit: the region is a file).
        assertSucceeds(beckon("knob", "set", "greeter", "greeting-case=upper", "--home", home));
        assertEquals("HELLO FROM C ON LOCAL (SOCKET GREETING)\n", greeting());

        Files.writeString(model.resolve("distribution.toml"), "");
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));
        try (var units = Files.list(systemd.unitDirectory())) {
            assertEquals(List.of(), units.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList());
        }
        assertEquals(List.of(), systemd.processes().stream().filter(p -> ProcessHandle.of(p).flatMap(h -> h.info().command())
                .filter(c -> c.endsWith("/c-greeter")).isPresent()).toList(), "no server process is left");
        assertFalse(listening(PORT), "nothing listens on the example's port any more");
    }

    @Test
    void aServerThatExitsAfterEveryConnectionServesAThousandConnectionsInARow(SystemdUserManager systemd, @TempDir Path dir)
            throws Exception {
        Path model = writeModel(dir, systemd, "once on {target.name}", List.of("--once"), "2s");
        String home = dir.resolve("home").toString();
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));

        for (int i = 0; i < 1_000; i++) {
            try {
                assertEquals("once on local (socket greeting)\n", greeting(), "connection " + i);
            } catch (IOException e) {
                throw new AssertionError("connection " + i + " failed (" + e + "); the socket is "
                        + show(systemd, UNIT + ".socket", "ActiveState") + " (" + show(systemd, UNIT + ".socket", "Result") + ")", e);
            }
        }
        assertEquals("active", show(systemd, UNIT + ".socket", "ActiveState"));
        assertEquals("success", show(systemd, UNIT + ".socket", "Result"), "no trigger or start limit was hit");
        assertSucceeds(beckon("deploy", emptied(model).toString(), "--home", home));
    }

    @Test
    void aServerThatFailsAtOnceStopsBeingStartedShowsWhyAndIsRepairedByTheDeployThatFixesIt(SystemdUserManager systemd,
            @TempDir Path dir) throws Exception {
        // An option the server does not know: it exits 2 at once, every time the waiting connection starts it.
        Path model = writeModel(dir, systemd, "fixed on {target.name}", List.of("--no-such-option"), "2s");
        String home = dir.resolve("home").toString();
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));

        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", PORT), 5_000);
            assertTrue(await(() -> !show(systemd, UNIT + ".socket", "ActiveState").equals("active"), Duration.ofSeconds(60)),
                    "the socket still listens: the failing server is started again and again");
        }
        assertEquals("failed", show(systemd, UNIT + ".service", "ActiveState"));
        assertEquals("exit-code", show(systemd, UNIT + ".service", "Result"));
        String[] status = beckon("status", "--home", home);
        assertEquals("1", status[0], "status of a failed instance exits 1: " + status[1] + status[2]);
        assertTrue(status[1].contains("exit-code"), "status gives the reason: " + status[1]);

        writeServices(model, "fixed on {target.name}", List.of("--exit-when-idle", "2"), "2s");
        String[] plan = beckon("plan", model.toString(), "--home", home);
        assertTrue(plan[1].contains("(failed: exit-code (" + UNIT + ".service); will be reset)"), plan[1] + plan[2]);
        assertTrue(plan[1].contains(UNIT + ".service changed"), "the model change is shown too: " + plan[1]);
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));
        assertEquals("fixed on local (socket greeting)\n", greeting());
        assertSucceeds(beckon("deploy", emptied(model).toString(), "--home", home));
    }

    @Test
    void aDeployWithoutChangesResetsASocketThatHitItsStartLimit(SystemdUserManager systemd, @TempDir Path dir) throws Exception {
        Path model = writeModel(dir, systemd, "limited on {target.name}", List.of("--once"), "2s");
        Files.writeString(model.resolve("services.toml"), Files.readString(model.resolve("services.toml"))
                .replace("pass = \"listen-fds\"", "pass = \"listen-fds\"\nstart-limit-burst = 3\nstart-limit-interval = \"1h\""));
        String home = dir.resolve("home").toString();
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));
        for (int i = 0; i < 3; i++) {
            assertEquals("limited on local (socket greeting)\n", greeting());
        }
        try {
            greeting();
        } catch (IOException expected) {
            // The fourth start is over the limit: systemd fails the socket and drops the connection.
        }
        assertTrue(await(() -> show(systemd, UNIT + ".socket", "ActiveState").equals("failed"), Duration.ofSeconds(30)));
        String reason = show(systemd, UNIT + ".socket", "Result");
        assertTrue(List.of("trigger-limit-hit", "service-start-limit-hit").contains(reason), reason);

        String[] plan = beckon("plan", model.toString(), "--home", home);
        assertTrue(plan[1].contains("(failed: " + reason + " (" + UNIT + ".socket); will be reset)"), plan[1] + plan[2]);
        assertSucceeds(beckon("deploy", model.toString(), "--home", home));
        assertEquals("active", show(systemd, UNIT + ".socket", "ActiveState"));
        assertEquals("limited on local (socket greeting)\n", greeting(), "the repaired socket serves again");
        assertSucceeds(beckon("deploy", emptied(model).toString(), "--home", home));
    }

    private static Path writeModel(Path dir, SystemdUserManager systemd, String greeting, List<String> options, String idle)
            throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        writeServices(model, greeting, options, idle);
        Files.copy(EXAMPLE.resolve("distribution.toml"), model.resolve("distribution.toml"));
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

    /** The example's own services.toml, with its package made absolute and its greeting, options and idle time replaced. */
    private static void writeServices(Path model, String greeting, List<String> options, String idle) throws IOException {
        String original = Files.readString(EXAMPLE.resolve("services.toml"));
        String services = original
                .replace("package = \"target/c-greeter\"", "package = \"" + BINARY.getParent() + "\"")
                .replace("\"hello from C on {target.name}\"", "\"" + greeting + "\"")
                .replace("\"--exit-when-idle\", \"5\"", String.join(", ", options.stream().map(o -> "\"" + o + "\"").toList()))
                .replace("idle-timeout = \"5s\"", "idle-timeout = \"" + idle + "\"");
        if (services.contains("\"target/c-greeter\"") || services.contains("\"--exit-when-idle\", \"5\"")) {
            throw new IllegalStateException("the example's services.toml changed; update " + CGreeterIT.class.getSimpleName());
        }
        Files.writeString(model.resolve("services.toml"), services);
    }

    private static Path emptied(Path model) throws IOException {
        Files.writeString(model.resolve("distribution.toml"), "");
        return model;
    }

    /** Runs {@code change} while a client connects again and again; returns every answer or error it got. */
    private static List<String> underLoad(Runnable change) throws InterruptedException {
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        Thread client = new Thread(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!done.get() && System.nanoTime() < deadline) {
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

    /** bin/beckon as a user runs it: exit code, standard output and error. */
    private static String[] beckon(String... args) {
        try {
            List<String> command = new ArrayList<>(List.of(BECKON.toString()));
            command.addAll(List.of(args));
            Path out = Files.createTempFile("beckon-out", ".txt");
            Path err = Files.createTempFile("beckon-err", ".txt");
            try {
                Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(5, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new AssertionError("bin/beckon " + String.join(" ", args) + " did not finish");
                }
                return new String[] {String.valueOf(process.exitValue()), Files.readString(out), Files.readString(err)};
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + BECKON + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void assertSucceeds(String[] run) {
        assertEquals("0", run[0], run[1] + run[2]);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (is gcc, libsystemd-dev and pkg-config installed?"
                    + " bin/install-test-dependencies installs them):\n" + output);
        }
        return output;
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

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean await(java.util.function.BooleanSupplier condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
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
}
