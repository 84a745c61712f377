package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What a session leaves behind and what it says: no held job results, no empty directories, load errors as text. */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdSessionHygieneTest {
    @TempDir
    Path state;

    private SystemdUserManager systemd;
    private SystemdFixture fixture;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        this.systemd = systemd;
        fixture = new SystemdFixture(systemd, state);
    }

    @Test
    void aConnectionKeepsNoResultsOfJobsOthersRan() throws Exception {
        ServiceInstance sleeper = fixture.daemon("busy", List.of("/bin/sleep", "3600"));
        try (SystemdBus watcher = SystemdBus.connect(systemd.busAddress())) {
            try (SystemdSession other = fixture.open()) {
                for (int round = 0; round < 3; round++) {
                    other.activate(sleeper);
                    other.deactivate(sleeper);
                    other.flush();
                }
            }
            // Signals come in order on one connection: once its own job's JobRemoved is in, the others' are too.
            String unit = "beckon-test-own.service";
            Files.writeString(fixture.unitDirectory().resolve(unit), "[Service]\nType=oneshot\nExecStart=/bin/true\n");
            try {
                watcher.run(() -> watcher.manager().Reload());
                assertEquals("done", watcher.runJob(() -> watcher.manager().StartUnit(unit, "replace")));
                assertEquals(0, watcher.heldJobResults(), "results of jobs this connection did not wait for are kept");
            } finally {
                Files.delete(fixture.unitDirectory().resolve(unit));
                watcher.run(() -> watcher.manager().Reload());
            }
        }
    }

    @Test
    void deactivatingTheLastAlwaysOnServiceLeavesNoEmptyWantsDirectory() throws Exception {
        Path wants = fixture.unitDirectory().resolve("default.target.wants");
        assertFalse(Files.exists(wants), "another test left " + wants);
        ServiceInstance sleeper = fixture.daemon("wanted", List.of("/bin/sleep", "3600"));
        try (SystemdSession session = fixture.open()) {
            session.activate(sleeper);
            assertTrue(Files.isSymbolicLink(wants.resolve("beckon-test-wanted.service")));
            session.deactivate(sleeper);
            session.flush();
        }
        assertFalse(Files.exists(wants), "an empty " + wants + " is left");
    }

    @Test
    void aUnitThatDoesNotLoadIsReportedWithSystemdsReason() throws Exception {
        // A link to /dev/null in a directory that comes before beckon's masks the unit beckon writes.
        Path control = Files.createDirectories(systemd.directory().resolve("config/systemd/user.control"));
        Path mask = control.resolve("beckon-test-masked.service");
        Files.createSymbolicLink(mask, Path.of("/dev/null"));
        ServiceInstance masked = fixture.daemon("masked", List.of("/bin/sleep", "3600"));
        try (SystemdSession session = fixture.open()) {
            ActivationException failure = assertThrows(ActivationException.class, () -> session.activate(masked));
            assertTrue(failure.getMessage().contains("did not load (masked): Unit beckon-test-masked.service is masked"),
                    failure.getMessage());
            assertFalse(failure.getMessage().contains("[Ljava"), failure.getMessage());
        } finally {
            Files.delete(mask);
            try (SystemdSession session = fixture.open()) {
                session.deactivate(masked);
                session.flush();
            }
        }
    }

    @Test
    void anInstallStopsNothingSoInstallingThePreviousVersionUndoesIt() throws Exception {
        int port = dev.beckon.activation.testing.TestServices.freePort();
        ServiceInstance onDemand = fixture.greeter("switch", port, "on demand", java.time.Duration.ofSeconds(30));
        // The same service always on: its socket unit goes when it is activated, not when it is installed. It
        // declares no port, since it listens on none (one declaring a port is ready only once it listens there).
        ServiceInstance alwaysOn = fixture.instance("switch", List.of("/bin/sleep", "3600"), new java.util.TreeMap<>(),
                java.util.Optional.empty());
        try (SystemdSession session = fixture.open()) {
            session.activate(onDemand);
        }
        String before = systemd.unitSnapshot("beckon-test-switch");
        try (SystemdSession session = fixture.open()) {
            session.install(List.of(alwaysOn));
            session.flush();
            assertEquals("active", fixture.show("beckon-test-switch.socket", "ActiveState"), "the install stopped the socket");

            session.install(List.of(onDemand));
            session.flush();
            assertEquals(before, systemd.unitSnapshot("beckon-test-switch"), "the units are not as they were");
            assertEquals("on demand", dev.beckon.activation.testing.TestServices.text(
                    dev.beckon.activation.testing.TestServices.greeting(port)));

            session.install(List.of(alwaysOn));
            session.activate(alwaysOn);
            assertFalse(Files.exists(fixture.unitDirectory().resolve("beckon-test-switch.socket")), "activation removes the socket");
            assertEquals("active", fixture.show("beckon-test-switch.service", "ActiveState"));
            session.deactivate(alwaysOn);
            session.flush();
        }
    }
}
