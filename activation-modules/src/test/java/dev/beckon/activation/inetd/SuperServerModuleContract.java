package dev.beckon.activation.inetd;

import static dev.beckon.activation.inetd.SuperServerFixture.await;
import static dev.beckon.activation.inetd.SuperServerFixture.listens;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import dev.beckon.activation.testing.ArgvRecorder;
import dev.beckon.activation.testing.TestServices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the inetd and xinetd modules both promise, proven against the real daemon: each subclass runs
 * these tests on its own.
 */
abstract class SuperServerModuleContract {
    static final Duration IDLE = Duration.ofMillis(700);
    /** How long a server may take to start, fail or exit: a bound for a hang, generous for a loaded machine. */
    static final Duration EXIT_LIMIT = Duration.ofSeconds(60);

    /** Every character a shell, inetd or xinetd could take for syntax, and a few that are just bytes. */
    static final List<String> HOSTILE = List.of("'", "\"", "\\", "$HOME", "${HOME}", "`id`", "$(id)", "a\nb", "line\r\nend", " lead",
            "trail ", "two  spaces", "%s%n%%", "*", "?", "[a-z]*", "~", "~root", ";", "&&", "|", ">out", "<in", "#not a comment",
            "\t", "", "-e", "--", "'\\''", "h\u00e9llo \u2713 \u65e5\u672c", "\u001b[31m", "\u007f", "end\\", "$", "!", "{a,b}", "\\n",
            "\"'\"'\"", "exec rm -rf /", "$((1+1))", "\n", "a=b", "\u00a0nbsp");

    @TempDir
    Path directory;

    abstract SuperServerFixture fixture(Path directory) throws IOException;

    @Test
    void onDemandServerStartsAtTheFirstConnectionAndExitsWhenIdle() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            ServiceInstance hello = fixture.greeter("test", "hello", port, "hello", IDLE, false);
            session.activate(hello);
            assertForeignUntouched(fixture);
            assertTrue(listens(port), "listens after activation");
            assertEquals(List.of(), List.copyOf(fixture.servers()), "no server before the first connection");
            assertEquals(InstanceStatus.Activity.LISTENING, session.query(hello).activity());
            assertTrue(session.query(hello).isHealthy(), session.query(hello).toString());

            String first = TestServices.greeting(port);
            assertEquals("hello", TestServices.text(first));
            long server = TestServices.pid(first);
            assertEquals(server, TestServices.pid(TestServices.greeting(port)), "one server takes every connection while it runs");
            assertEquals(InstanceStatus.Activity.RUNNING, session.query(hello).activity());

            assertTrue(TestServices.awaitExit(server, EXIT_LIMIT), "the server exits when idle");
            assertTrue(listens(port), "the daemon still listens when the server is gone");
            assertEquals(InstanceStatus.Activity.LISTENING, session.query(hello).activity());
            String second = TestServices.greeting(port);
            assertNotEquals(server, TestServices.pid(second), "a new connection starts a new server");
            assertTrue(TestServices.awaitExit(TestServices.pid(second), EXIT_LIMIT));
            assertForeignUntouched(fixture);

            session.deactivate(hello);
            assertGone(fixture, hello, port);
            InstanceStatus gone = session.query(hello);
            assertEquals(InstanceStatus.Presence.MISSING, gone.presence());
            assertEquals(InstanceStatus.Activity.INACTIVE, gone.activity());
        }
    }

    @Test
    void activatingTheIdenticalInstanceAgainWritesNothingReloadsNothingAndKeepsTheServer() throws Exception {
        try (SuperServerFixture fixture = fixture(directory)) {
            int port = TestServices.freePort();
            ServiceInstance hello = fixture.greeter("test", "hello", port, "hello", Duration.ofSeconds(5), false);
            try (ModuleSession session = fixture.open()) {
                session.activate(hello);
            }
            long server = TestServices.pid(TestServices.greeting(port));
            // A witness the daemon would only see if it read its configuration again.
            int witness = TestServices.freePort();
            addWitness(fixture, witness);
            Map<Path, String> before = identities(fixture.entryFile(hello), fixture.launcher(hello));

            try (ModuleSession session = fixture.open()) {
                session.activate(hello);
                assertEquals(before, identities(fixture.entryFile(hello), fixture.launcher(hello)), "no file was written");
                assertFalse(listens(witness), "the daemon was not told to reload");
                assertTrue(ProcessHandle.of(server).map(ProcessHandle::isAlive).orElse(false), "the running server was left alone");
                assertEquals(server, TestServices.pid(TestServices.greeting(port)));
                session.deactivate(hello);
            }
        }
    }

    @Test
    void deactivatingAnInstanceThatIsNotThereSucceedsAndTouchesNothing() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            ServiceInstance absent = fixture.greeter("test", "absent", TestServices.freePort(), "hello", IDLE, false);
            Map<Path, String> before = identities(fixture.foreignFile);
            session.deactivate(absent);
            assertEquals(before, identities(fixture.foreignFile));
            assertEquals(InstanceStatus.Presence.MISSING, session.query(absent).presence());
        }
    }

    @Test
    void queryReportsDriftWhenItsFilesAreEditedOrRemovedByHand() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            ServiceInstance hello = fixture.greeter("test", "hello", port, "hello", IDLE, false);
            session.activate(hello);
            assertEquals(List.of(), session.query(hello).drift());

            editEntryByHand(fixture, hello);
            InstanceStatus edited = session.query(hello);
            assertEquals(InstanceStatus.Presence.INSTALLED, edited.presence());
            assertTrue(edited.drift().size() == 1 && edited.drift().get(0).endsWith("differs from what beckon wrote"), edited.toString());
            assertFalse(edited.isHealthy());

            session.activate(hello);
            assertEquals(List.of(), session.query(hello).drift(), "activation puts it back");

            removeEntryByHand(fixture, hello);
            InstanceStatus removed = session.query(hello);
            assertEquals(InstanceStatus.Presence.PARTIAL, removed.presence());
            assertTrue(removed.drift().size() == 1 && removed.drift().get(0).endsWith("is missing"), removed.toString());

            Files.delete(fixture.launcher(hello));
            InstanceStatus gone = session.query(hello);
            assertEquals(InstanceStatus.Presence.MISSING, gone.presence());
            assertEquals(2, gone.drift().size(), gone.toString());

            session.activate(hello);
            assertTrue(session.query(hello).isHealthy(), session.query(hello).toString());
            assertEquals("hello", TestServices.text(TestServices.greeting(port)));
            assertForeignUntouched(fixture);
            session.deactivate(hello);
            assertGone(fixture, hello, port);
        }
    }

    @Test
    void aMissingProgramFailsTheActivationAndWritesNothing() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            ServiceInstance broken = fixture.instance("test", "broken", List.of("/nonexistent/beckon-test/server", "--serve"), Map.of(),
                    port, IDLE, false);
            String before = fixture.entriesText(broken);
            ActivationException failure = assertThrows(ActivationException.class, () -> session.activate(broken));
            assertEquals("broken@local: its program /nonexistent/beckon-test/server is not an executable file; the server could never"
                    + " start", failure.getMessage());
            assertEquals(before, fixture.entriesText(broken));
            assertFalse(Files.exists(fixture.launcher(broken)));
            assertFalse(listens(port));
        }
    }

    @Test
    void aServerThatFailsIsReportedWithTheLastLinesOfItsLog() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            ServiceInstance failing = fixture.instance("test", "failing",
                    List.of("/bin/sh", "-c", "echo \"cannot open database /var/lib/failing/db: permission denied\" >&2; exit 1"), Map.of(),
                    port, Duration.ZERO, false);
            // On demand, the server runs only at the first connection: activation cannot know it will fail.
            session.activate(failing);
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                client.setSoTimeout(2_000);
                assertEquals(-1, readOrEnd(client), "the client gets no answer");
            }
            List<InstanceStatus> seen = new ArrayList<>();
            assertTrue(await(() -> {
                try {
                    seen.add(session.query(failing));
                    return seen.get(seen.size() - 1).activity() == InstanceStatus.Activity.FAILED;
                } catch (ActivationException e) {
                    throw new AssertionError(e);
                }
            }, EXIT_LIMIT), "query says it failed: " + seen.get(seen.size() - 1));
            String detail = seen.get(seen.size() - 1).detail();
            assertTrue(detail.contains("cannot open database /var/lib/failing/db: permission denied"), detail);
            session.deactivate(failing);
            assertGone(fixture, failing, port);
        }
    }

    @Test
    void everyByteOfTheArgvAndEnvironmentReachesTheServer() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            Path record = directory.resolve("record");
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put("RECORD_TO", record.toString());
            for (int i = 0; i < HOSTILE.size(); i++) {
                environment.put("HOSTILE_" + i, HOSTILE.get(i));
            }
            ServiceInstance recorder = fixture.instance("test", "recorder",
                    TestServices.javaCommand(ArgvRecorder.class, HOSTILE.toArray(String[]::new)), environment, port, IDLE, false);
            session.activate(recorder);
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                client.setSoTimeout(20_000);
                readOrEnd(client);
            }
            assertTrue(await(() -> Files.exists(record), Duration.ofSeconds(20)), "the recorder ran");
            assertEquals(HOSTILE, ArgvRecorder.arguments(record));
            List<String> received = ArgvRecorder.environment(record);
            for (Map.Entry<String, String> variable : environment.entrySet()) {
                assertTrue(received.contains(variable.getKey() + "=" + variable.getValue()), "received " + variable.getKey());
            }
            assertTrue(received.contains("BECKON_IDLE_TIMEOUT=700ms"), received.toString());
            session.deactivate(recorder);
        }
    }

    @Test
    void instancesOfTwoProfilesLiveSideBySide() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int testPort = TestServices.freePort();
            int otherPort = TestServices.freePort();
            ServiceInstance test = fixture.greeter("test", "hello", testPort, "hello from test", IDLE, false);
            ServiceInstance other = fixture.greeter("other", "hello", otherPort, "hello from other", IDLE, false);
            session.install(List.of(test, other));
            session.activate(test);
            session.activate(other);
            assertForeignUntouched(fixture);
            assertEquals("hello from test", TestServices.text(TestServices.greeting(testPort)));
            assertEquals("hello from other", TestServices.text(TestServices.greeting(otherPort)));

            session.deactivate(test);
            assertFalse(listens(testPort));
            assertTrue(session.query(other).isHealthy(), session.query(other).toString());
            assertEquals("hello from other", TestServices.text(TestServices.greeting(otherPort)));
            assertFalse(fixture.entriesText(test).contains("beckon-test-hello"));
            session.deactivate(other);
            assertGone(fixture, other, otherPort);
            assertForeignUntouched(fixture);
        }
    }

    @Test
    void aChangedInstanceReplacesTheRunningServerWhileTheSocketKeepsListening() throws Exception {
        try (SuperServerFixture fixture = fixture(directory)) {
            int port = TestServices.freePort();
            ServiceInstance first = fixture.greeter("test", "hello", port, "version one", Duration.ofSeconds(5), false);
            ServiceInstance second = fixture.greeter("test", "hello", port, "version two", Duration.ofSeconds(5), false);
            try (ModuleSession session = fixture.open()) {
                session.activate(first);
            }
            String before = TestServices.greeting(port);
            assertEquals("version one", TestServices.text(before));
            long socket = listeningInode(port);
            try (ModuleSession session = fixture.open()) {
                session.activate(second);
                assertForeignUntouched(fixture);
                assertTrue(TestServices.awaitExit(TestServices.pid(before), EXIT_LIMIT), "the old server was stopped");
                assertEquals(socket, listeningInode(port), "the daemon's socket kept listening throughout");
                String after = TestServices.greeting(port);
                assertEquals("version two", TestServices.text(after));
                assertTrue(session.query(second).isHealthy(), session.query(second).toString());
                session.deactivate(second);
                assertGone(fixture, second, port);
            }
        }
    }

    @Test
    void undoingAnInstallByInstallingThePreviousVersionPutsItsFilesBack() throws Exception {
        // A deployment's undo of an install whose activation never began (another instance failed first):
        // the inverse of installing a version is installing the one before it.
        try (SuperServerFixture fixture = fixture(directory)) {
            int port = TestServices.freePort();
            ServiceInstance previous = fixture.greeter("test", "hello", port, "previous", Duration.ofSeconds(5), false);
            ServiceInstance next = fixture.greeter("test", "hello", port, "next", Duration.ofSeconds(5), false);
            try (ModuleSession session = fixture.open()) {
                session.activate(previous);
            }
            String previousEntry = fixture.entriesText(previous);
            try (ModuleSession session = fixture.open()) {
                session.install(List.of(next));
                assertNotEquals(previousEntry, fixture.entriesText(next), "the new version's entry was written");

                session.install(List.of(previous));
                session.flush();

                assertEquals(previousEntry, fixture.entriesText(previous), "the previous version's entry is back");
                assertEquals("previous", TestServices.text(TestServices.greeting(port)));
                assertTrue(session.query(previous).isHealthy(), session.query(previous).toString());
                assertForeignUntouched(fixture);
                session.deactivate(previous);
                assertGone(fixture, previous, port);
            }
        }
    }

    @Test
    void acceptStartsOneServerPerConnection() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            ServiceInstance perConnection = fixture.greeter("test", "hello", port, "one each", Duration.ZERO, true);
            session.activate(perConnection);
            assertEquals(List.of(), List.copyOf(fixture.servers()));
            String first = TestServices.greeting(port);
            String second = TestServices.greeting(port);
            assertEquals("one each", TestServices.text(first));
            assertNotEquals(TestServices.pid(first), TestServices.pid(second));
            assertTrue(TestServices.awaitExit(TestServices.pid(first), EXIT_LIMIT));
            assertTrue(TestServices.awaitExit(TestServices.pid(second), EXIT_LIMIT));
            assertEquals(InstanceStatus.Activity.LISTENING, session.query(perConnection).activity());
            session.deactivate(perConnection);
            assertGone(fixture, perConnection, port);
        }
    }

    @Test
    void aDaemonThatIsNotRunningOrAPidFileOfAnotherProgramIsAnErrorNotASignal() throws Exception {
        try (SuperServerFixture fixture = fixture(directory)) {
            ServiceInstance hello = fixture.greeter("test", "hello", TestServices.freePort(), "hello", IDLE, false);
            String type = fixture.module.type();
            TargetContainer noDaemon = withPidFile(fixture, directory.resolve("no-such.pid"));
            ActivationException notRunning = assertThrows(ActivationException.class, () -> fixture.module.open(noDaemon).activate(hello));
            assertTrue(notRunning.getMessage().startsWith("hello@local: " + type + " is not running: its pid file "
                    + directory.resolve("no-such.pid")), notRunning.getMessage());

            // This test's own JVM: SIGHUP would end it.
            Path ours = directory.resolve("ours.pid");
            Files.writeString(ours, ProcessHandle.current().pid() + "\n");
            ActivationException notTheDaemon = assertThrows(ActivationException.class,
                    () -> fixture.module.open(withPidFile(fixture, ours)).activate(hello));
            assertTrue(notTheDaemon.getMessage().contains("names pid " + ProcessHandle.current().pid() + ", which runs java, not " + type),
                    notTheDaemon.getMessage());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Makes a change to the configuration that only a reload would make the daemon see. */
    abstract void addWitness(SuperServerFixture fixture, int port) throws IOException;

    abstract void editEntryByHand(SuperServerFixture fixture, ServiceInstance instance) throws IOException;

    abstract void removeEntryByHand(SuperServerFixture fixture, ServiceInstance instance) throws IOException;

    /** The administrator's configuration is as it was, byte for byte, around beckon's own part. */
    abstract void assertForeignUntouched(SuperServerFixture fixture) throws IOException;

    /** Nothing of the instance is left: no port, entry, launcher or server; the foreign service still serves. */
    void assertGone(SuperServerFixture fixture, ServiceInstance instance, int port) throws Exception {
        assertFalse(listens(port), "port " + port + " no longer listens");
        assertFalse(fixture.entriesText(instance).contains("beckon-" + instance.profile() + "-" + instance.service()), "no entry left");
        assertFalse(Files.exists(fixture.launcher(instance)), "no launcher left");
        assertEquals(List.of(), List.copyOf(fixture.servers()), "no server left");
        assertForeignUntouched(fixture);
        assertEquals("foreign service", foreignAnswer(fixture));
    }

    static String foreignAnswer(SuperServerFixture fixture) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", fixture.foreignPort), 5_000);
            client.setSoTimeout(5_000);
            return new String(client.getInputStream().readAllBytes()).strip();
        }
    }

    private static int readOrEnd(Socket client) {
        try {
            return client.getInputStream().read();
        } catch (IOException resetOrTimeout) {
            return -1;
        }
    }

    private static TargetContainer withPidFile(SuperServerFixture fixture, Path pidFile) {
        TreeMap<String, String> settings = new TreeMap<>(fixture.container().settings());
        settings.put("pid-file", pidFile.toString());
        return new TargetContainer("local", fixture.module.type(), settings, fixture.stateDirectory);
    }

    /** File identity: inode, modification time and size; a rewrite changes the inode (atomic rename). */
    static Map<Path, String> identities(Path... files) throws IOException {
        Map<Path, String> identities = new LinkedHashMap<>();
        for (Path file : files) {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            FileTime modified = attributes.lastModifiedTime();
            identities.put(file, attributes.fileKey() + " " + modified + " " + attributes.size());
        }
        return identities;
    }

    static long listeningInode(int port) throws IOException {
        Optional<TcpListeners.Listener> listener = TcpListeners.read().stream().filter(l -> l.port() == port).findFirst();
        return listener.orElseThrow(() -> new AssertionError("nothing listens on " + port)).inode();
    }
}
