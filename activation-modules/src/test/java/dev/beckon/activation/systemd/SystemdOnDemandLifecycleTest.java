package dev.beckon.activation.systemd;

import static dev.beckon.activation.testing.TestServices.awaitExit;
import static dev.beckon.activation.testing.TestServices.greeting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What on-demand services go through for real: many idle exits, upgrades under load, mode switches, reboots. */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdOnDemandLifecycleTest {
    @TempDir
    Path state;

    private SystemdFixture fixture;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        fixture = new SystemdFixture(systemd, state);
    }

    @Test
    void fiftyActivateAndIdleExitCyclesInARowAreAllServed() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance quick = fixture.greeter("quick", port, "quick", Duration.ofMillis(100));
        try (SystemdSession session = fixture.open()) {
            session.activate(quick);
            Set<Long> processes = new HashSet<>();
            for (int cycle = 0; cycle < 50; cycle++) {
                String answer = greeting(port);
                assertEquals("quick", TestServices.text(answer), "cycle " + cycle);
                long pid = TestServices.pid(answer);
                processes.add(pid);
                assertTrue(awaitExit(pid, Duration.ofSeconds(60)), "cycle " + cycle + ": the service did not idle out");
            }
            assertEquals(50, processes.size(), "every cycle was a fresh activation");
            assertEquals("active", fixture.show("beckon-test-quick.socket", "ActiveState"));
            assertEquals("success", fixture.show("beckon-test-quick.socket", "Result"));
            session.deactivate(quick);
        }
    }

    @Test
    void anUpgradeOfTheServiceAloneRefusesNoConnectionAndKeepsTheSocket() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance v1 = fixture.greeter("upgrade", port, "version 1", Duration.ofSeconds(30));
        ServiceInstance v2 = fixture.greeter("upgrade", port, "version 2", Duration.ofSeconds(30));
        try (SystemdSession session = fixture.open()) {
            session.activate(v1);
            long oldPid = TestServices.pid(greeting(port));
            String socketSince = fixture.show("beckon-test-upgrade.socket", "ActiveEnterTimestampMonotonic");

            List<String> answers = Collections.synchronizedList(new ArrayList<>());
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean upgraded = new AtomicBoolean();
            AtomicInteger afterUpgrade = new AtomicInteger();
            Thread client = new Thread(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                // Until the new version has answered several times after the upgrade returned, within a bound of time only:
                // however long the activation takes on a loaded machine, the client keeps going until then.
                while (afterUpgrade.get() < 20 && System.nanoTime() < deadline) {
                    try {
                        String answer = greeting(port);
                        answers.add(answer);
                        if (upgraded.get() && answer.startsWith("version 2")) {
                            afterUpgrade.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                }
            });
            client.start();
            while (answers.size() < 20) {
                Thread.sleep(5);
            }
            session.activate(v2);
            upgraded.set(true);
            client.join();

            assertEquals(List.of(), failures, "connections refused or reset during the upgrade");
            assertTrue(afterUpgrade.get() >= 20, "the new version did not answer: " + answers.subList(Math.max(0, answers.size() - 3), answers.size()));
            assertTrue(answers.stream().anyMatch(a -> a.startsWith("version 1")));
            assertEquals(socketSince, fixture.show("beckon-test-upgrade.socket", "ActiveEnterTimestampMonotonic"),
                    "the socket must keep listening through a change of the service alone");
            assertTrue(awaitExit(oldPid, Duration.ofSeconds(60)), "the old version still runs");
            session.deactivate(v2);
        }
    }

    @Test
    void switchingBetweenOnDemandAndAlwaysOnLeavesOnlyTheRightUnits() throws Exception {
        int port = TestServices.freePort();
        ServiceInstance onDemand = fixture.greeter("switch", port, "on demand", Duration.ofSeconds(30));
        ServiceInstance alwaysOn = fixture.daemon("switch", List.of("/bin/sleep", "3600"));
        // One session per deployment: within one, activating the version it replaced is an undo, which
        // leaves the service running if it ran when the session began.
        try (SystemdSession session = fixture.open()) {
            session.activate(onDemand);
            assertEquals("on demand", TestServices.text(greeting(port)));
        }
        try (SystemdSession session = fixture.open()) {
            session.activate(alwaysOn);
            assertFalse(Files.exists(fixture.unitDirectory().resolve("beckon-test-switch.socket")));
            assertEquals("not-found", fixture.show("beckon-test-switch.socket", "LoadState"));
            assertEquals(InstanceStatus.Activity.RUNNING, session.query(alwaysOn).activity());
            assertTrue(session.query(alwaysOn).drift().isEmpty(), session.query(alwaysOn).drift().toString());
        }
        try (SystemdSession session = fixture.open()) {
            session.activate(onDemand);
            assertEquals(InstanceStatus.Activity.LISTENING, session.query(onDemand).activity());
            assertEquals("on demand", TestServices.text(greeting(port)));
            session.deactivate(onDemand);
        }
    }

    @Test
    void activatedUnitsComeBackAfterTheManagerRestarts(@TempDir Path machine) throws Exception {
        int port = TestServices.freePort();
        SystemdFixture rebooting;
        ServiceInstance hello;
        ServiceInstance sleeper;
        try (SystemdUserManager before = SystemdUserManager.start(machine)) {
            rebooting = new SystemdFixture(before, state);
            hello = rebooting.greeter("boot", port, "back after reboot", Duration.ofSeconds(30));
            sleeper = rebooting.daemon("boot-daemon", List.of("/bin/sleep", "3600"));
            try (SystemdSession session = rebooting.open()) {
                session.activate(hello);
                session.activate(sleeper);
            }
        }
        try (SystemdUserManager after = SystemdUserManager.start(machine)) {
            SystemdFixture rebooted = new SystemdFixture(after, state);
            assertEquals("active", rebooted.show("beckon-test-boot.socket", "ActiveState"));
            assertEquals("active", rebooted.show("beckon-test-boot-daemon.service", "ActiveState"));
            assertEquals("back after reboot", TestServices.text(greeting(port)));
            ServiceInstance helloNow = rebooted.greeter("boot", port, "back after reboot", Duration.ofSeconds(30));
            try (SystemdSession session = rebooted.open()) {
                session.deactivate(helloNow);
                session.deactivate(rebooted.daemon("boot-daemon", List.of("/bin/sleep", "3600")));
                session.flush();
            }
            assertNotEquals("active", rebooted.show("beckon-test-boot.socket", "ActiveState"));
        }
    }
}
