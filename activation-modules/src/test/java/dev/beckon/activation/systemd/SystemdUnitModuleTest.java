package dev.beckon.activation.systemd;

import static dev.beckon.activation.testing.TestServices.awaitExit;
import static dev.beckon.activation.testing.TestServices.greeting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SystemdSandboxExtension.class)
class SystemdUnitModuleTest {
    private static final Duration IDLE = Duration.ofMillis(500);

    @TempDir
    Path state;

    private SystemdFixture fixture;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        fixture = new SystemdFixture(systemd, state);
    }

    @Test
    void onDemandServiceListensWithoutAProcessUntilTheFirstConnection() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance hello = fixture.greeter("hello", port, "hello", IDLE);
        try (SystemdSession session = fixture.open()) {
            session.activate(hello);
            assertEquals("active", fixture.show("beckon-test-hello.socket", "ActiveState"));
            assertEquals("inactive", fixture.show("beckon-test-hello.service", "ActiveState"));
            assertEquals(InstanceStatus.Activity.LISTENING, session.query(hello).activity());

            String first = greeting(port);
            assertEquals("hello", TestServices.text(first));
            assertEquals(String.valueOf(TestServices.pid(first)), fixture.show("beckon-test-hello.service", "MainPID"));

            assertTrue(awaitExit(TestServices.pid(first), Duration.ofSeconds(60)), "the service did not exit when idle");
            assertEquals("active", fixture.show("beckon-test-hello.socket", "ActiveState"), "the socket outlives the service");
            String second = greeting(port);
            assertNotEquals(TestServices.pid(first), TestServices.pid(second), "a new process serves after the idle exit");

            session.deactivate(hello);
            session.flush();
        }
    }

    @Test
    void activatingTheIdenticalInstanceAgainChangesNothing() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance hello = fixture.greeter("same", port, "same", IDLE);
        try (SystemdSession session = fixture.open()) {
            session.activate(hello);
            Path unit = fixture.unitDirectory().resolve("beckon-test-same.service");
            Files.setLastModifiedTime(unit, FileTime.fromMillis(1_000_000));
            String reloadedAt = fixture.showManager("GeneratorsStartTimestampMonotonic");
            String socketSince = fixture.show("beckon-test-same.socket", "ActiveEnterTimestampMonotonic");

            session.activate(hello);
            session.flush();

            assertEquals(FileTime.fromMillis(1_000_000), Files.getLastModifiedTime(unit), "the unit file was rewritten");
            assertEquals(reloadedAt, fixture.showManager("GeneratorsStartTimestampMonotonic"), "systemd was reloaded");
            assertEquals(socketSince, fixture.show("beckon-test-same.socket", "ActiveEnterTimestampMonotonic"), "the socket restarted");
            session.deactivate(hello);
        }
    }

    @Test
    void undoingAnInstallByInstallingThePreviousVersionPutsItsUnitsBackAndRestartsNothing() throws Exception {
        // A deployment's undo of an install whose activation never began (another instance failed first):
        // the inverse of installing a version is installing the one before it.
        int port = TestServices.freePort();
        ServiceInstance previous = fixture.greeter("undone", port, "previous", IDLE);
        ServiceInstance next = fixture.greeter("undone", port, "next", IDLE);
        Path unit = fixture.unitDirectory().resolve("beckon-test-undone.service");
        try (SystemdSession session = fixture.open()) {
            session.activate(previous);
        }
        String previousUnit = Files.readString(unit);
        String socketSince = fixture.show("beckon-test-undone.socket", "ActiveEnterTimestampMonotonic");
        try (SystemdSession session = fixture.open()) {
            session.install(List.of(next));
            assertNotEquals(previousUnit, Files.readString(unit), "the new version's unit was written");

            session.install(List.of(previous));
            session.flush();

            assertEquals(previousUnit, Files.readString(unit), "the previous version's unit is back");
            assertEquals("no", fixture.show("beckon-test-undone.service", "NeedDaemonReload"), "systemd was reloaded");
            assertEquals(socketSince, fixture.show("beckon-test-undone.socket", "ActiveEnterTimestampMonotonic"), "the socket restarted");
            assertEquals("previous", TestServices.text(greeting(port)));
            assertTrue(session.query(previous).isHealthy(), session.query(previous).toString());
            session.deactivate(previous);
            session.flush();
        }
    }

    @Test
    void undoingAFailedSocketChangeLeavesTheServiceRunningAndNoFailedUnitBehind() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance previous = fixture.greeter("rebound", port, "previous", Duration.ZERO);
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            // A second listener on a port something else holds: the new sockets cannot all bind.
            ServiceInstance next = fixture.instance("rebound", previous.exec(), previous.ports(), Optional.of(new ServiceInstance.Activation(
                    List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), port),
                            new ListenAddress.Inet(Optional.of("127.0.0.1"), taken.getLocalPort())), Duration.ZERO, false)));
            try (SystemdSession session = fixture.open()) {
                session.activate(previous);
            }
            long before = TestServices.pid(greeting(port));
            try (SystemdSession session = fixture.open()) {
                session.install(List.of(next));
                assertThrows(ActivationException.class, () -> session.activate(next));
                session.activate(previous);
                session.flush();

                assertEquals("active", fixture.show("beckon-test-rebound.service", "ActiveState"),
                        "it ran before the change, so it runs after the undo, without waiting for a connection");
                assertNotEquals(String.valueOf(before), fixture.show("beckon-test-rebound.service", "MainPID"));
                assertEquals("", fixture.loadedUnits("beckon-test-rebound_*"),
                        "no socket of the failed version is left, not even as failed");
                assertEquals("previous", TestServices.text(greeting(port)));
                session.deactivate(previous);
                session.flush();
            }
        }
    }

    @Test
    void deactivateLeavesNoUnitLinkPortOrProcess() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance hello = fixture.greeter("gone", port, "gone", Duration.ofSeconds(30));
        try (SystemdSession session = fixture.open()) {
            session.activate(hello);
            long pid = TestServices.pid(greeting(port));
            assertTrue(Files.isSymbolicLink(fixture.unitDirectory().resolve("sockets.target.wants/beckon-test-gone.socket")));

            session.deactivate(hello);
            session.flush();

            assertTrue(awaitExit(pid, Duration.ofSeconds(60)), "the running service was not stopped");
            assertFalse(Files.exists(fixture.unitDirectory().resolve("beckon-test-gone.service")));
            assertFalse(Files.exists(fixture.unitDirectory().resolve("beckon-test-gone.socket")));
            assertFalse(Files.exists(fixture.unitDirectory().resolve("sockets.target.wants/beckon-test-gone.socket"),
                    java.nio.file.LinkOption.NOFOLLOW_LINKS));
            assertThrows(ConnectException.class, () -> greeting(port));
            assertEquals("not-found", fixture.show("beckon-test-gone.socket", "LoadState"));
            InstanceStatus status = session.query(hello);
            assertEquals(InstanceStatus.Presence.MISSING, status.presence());
            assertEquals(InstanceStatus.Activity.INACTIVE, status.activity());

            session.deactivate(hello);
        }
    }

    @Test
    void queryReportsUnitsEditedOrRemovedByHand() throws Exception {
        ServiceInstance hello = fixture.greeter("drift", TestServices.freePort(), "drift", IDLE);
        try (SystemdSession session = fixture.open()) {
            session.activate(hello);
            assertEquals(List.of(), session.query(hello).drift());
            assertTrue(session.query(hello).isHealthy());

            Path service = fixture.unitDirectory().resolve("beckon-test-drift.service");
            Files.writeString(service, Files.readString(service).replace("Restart=no", "Restart=always"));
            assertEquals(List.of("beckon-test-drift.service differs from what beckon wrote"), session.query(hello).drift());

            Files.delete(fixture.unitDirectory().resolve("beckon-test-drift.socket"));
            InstanceStatus status = session.query(hello);
            assertEquals(InstanceStatus.Presence.PARTIAL, status.presence());
            assertEquals(List.of("beckon-test-drift.service differs from what beckon wrote", "beckon-test-drift.socket is missing"),
                    status.drift());
            assertFalse(status.isHealthy());

            session.activate(hello);
            assertEquals(List.of(), session.query(hello).drift(), "activating again repairs the drift");
            session.deactivate(hello);
        }
    }

    @Test
    void aServiceThatFailsReportsItsUnitResultAndLog() throws Exception {
        ServiceInstance failing = fixture.daemon("failing", List.of("/bin/sh", "-c", "echo failing on purpose >&2; exit 1"));
        try (SystemdSession session = fixture.open()) {
            ActivationException e = assertThrows(ActivationException.class, () -> session.activate(failing));
            assertTrue(e.getMessage().startsWith("failing@local: "), e.getMessage());
            assertTrue(e.getMessage().contains("beckon-test-failing.service"), e.getMessage());
            assertTrue(e.getMessage().contains("exit-code"), e.getMessage());
            assertTrue(e.logTail().stream().anyMatch(l -> l.contains("failing on purpose")), e.describe());
            session.deactivate(failing);
        }
    }

    @Test
    void aProgramThatIsNotThereFailsTheActivationNotTheFirstConnection() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance missing = fixture.instance("missing", List.of("/nonexistent/bin/server"), Map.of("http", port),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.empty(), port)), IDLE, false)));
        try (SystemdSession session = fixture.open()) {
            ActivationException e = assertThrows(ActivationException.class, () -> session.activate(missing));
            assertTrue(e.getMessage().contains("/nonexistent/bin/server is not an executable file"), e.getMessage());
            assertEquals("inactive", fixture.show("beckon-test-missing.socket", "ActiveState"));
            session.deactivate(missing);
        }
    }

    @Test
    void alwaysOnServiceRunsAndIsWantedAtBoot() throws Exception {
        ServiceInstance sleeper = fixture.daemon("sleeper", List.of("/bin/sleep", "3600"));
        try (SystemdSession session = fixture.open()) {
            session.activate(sleeper);
            assertEquals("active", fixture.show("beckon-test-sleeper.service", "ActiveState"));
            assertEquals(InstanceStatus.Activity.RUNNING, session.query(sleeper).activity());
            assertTrue(Files.isSymbolicLink(fixture.unitDirectory().resolve("default.target.wants/beckon-test-sleeper.service")));
            String pid = fixture.show("beckon-test-sleeper.service", "MainPID");
            session.deactivate(sleeper);
            session.flush();
            assertTrue(awaitExit(Long.parseLong(pid), Duration.ofSeconds(60)));
        }
    }

    @Test
    void onePerConnectionServiceIsATemplateBehindAnAcceptingSocket() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance echo = fixture.instance("per-connection", TestServices.javaCommand(GreetingServer.class, "each"),
                Map.of("http", port), Optional.of(new ServiceInstance.Activation(
                        List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), port)), Duration.ZERO, true)));
        try (SystemdSession session = fixture.open()) {
            session.activate(echo);
            assertTrue(Files.exists(fixture.unitDirectory().resolve("beckon-test-per-connection@.service")));
            assertEquals("yes", fixture.show("beckon-test-per-connection.socket", "Accept"));
            long first = TestServices.pid(greeting(port));
            long second = TestServices.pid(greeting(port));
            assertNotEquals(first, second, "each connection gets its own process");
            assertTrue(session.query(echo).isHealthy(), session.query(echo).toString());
            session.deactivate(echo);
        }
    }

    @Test
    void severalListenersGetOneNamedSocketEach() throws Exception {
        int http = TestServices.freePort();
        int admin = TestServices.freePort();
        ServiceInstance multi = fixture.instance("multi", TestServices.javaCommand(GreetingServer.class, "multi"),
                Map.of("http", http, "admin", admin), Optional.of(new ServiceInstance.Activation(List.of(
                        new ListenAddress.Inet(Optional.of("127.0.0.1"), http),
                        new ListenAddress.Inet(Optional.of("127.0.0.1"), admin)), IDLE, false)));
        try (SystemdSession session = fixture.open()) {
            session.activate(multi);
            assertEquals("http", fixture.show("beckon-test-multi_http.socket", "FileDescriptorName"));
            assertEquals("admin", fixture.show("beckon-test-multi_admin.socket", "FileDescriptorName"));
            assertEquals("active", fixture.show("beckon-test-multi_admin.socket", "ActiveState"));
            assertTrue(fixture.show("beckon-test-multi.service", "Triggers").isEmpty());
            assertTrue(fixture.show("beckon-test-multi.service", "TriggeredBy").contains("beckon-test-multi_http.socket"));
            session.deactivate(multi);
            session.flush();
            assertThrows(IOException.class, () -> greeting(admin));
        }
    }
}
