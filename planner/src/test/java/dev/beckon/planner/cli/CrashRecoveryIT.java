package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployers killed with SIGKILL at every step boundary of a multi-service deployment, and deployers
 * racing for the same profile and targets, as real processes of {@code bin/beckon} against a real systemd user
 * manager.
 */
@ExtendWith(SystemdSandboxExtension.class)
class CrashRecoveryIT {
    @TempDir
    Path dir;

    private SystemdUserManager systemd;
    private Path first;
    private Path second;
    private Path empty;
    private Path state;
    private String home;
    private final Map<String, Integer> ports = new java.util.TreeMap<>();
    private final List<Process> deployers = new ArrayList<>();

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        state = dir.resolve("state");
        home = dir.resolve("home").toString();
        for (String service : List.of("a", "b", "c")) {
            ports.put(service, TestServices.freePort());
        }
        // Generation 1 runs a and b (b depends on a); generation 2 changes a, drops b and adds c.
        first = model("first", Map.of("a", "a v1", "b", "b v1"), "a = [\"local\"]\nb = [\"local\"]\n");
        second = model("second", Map.of("a", "a v2", "c", "c v2"), "a = [\"local\"]\nc = [\"local\"]\n");
        empty = model("empty", Map.of(), "");
    }

    @AfterEach
    void killDeployers() {
        deployers.forEach(Process::destroyForcibly);
    }

    private Path model(String name, Map<String, String> greetings, String distribution) throws Exception {
        Path model = Files.createDirectories(dir.resolve(name));
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state));
        Path classes = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        StringBuilder services = new StringBuilder();
        for (String service : List.of("a", "b", "c")) {
            services.append("""
                    [services.%s]
                    type = "systemd-unit"
                    package = "%s"
                    exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%s", "%s"]
                    class-data-archive = false
                    ports = { http = %d }
                    %s
                    [services.%s.on-demand]
                    listen = ["127.0.0.1:{ports.http}"]
                    pass = "stdin"
                    idle-timeout = "30s"
                    """.formatted(service, classes, GreetingServer.class.getName(), greetings.getOrDefault(service, service),
                    ports.get(service), service.equals("b") ? "depends-on = [\"a\"]" : "", service));
        }
        Files.writeString(model.resolve("services.toml"), services);
        Files.writeString(model.resolve("distribution.toml"), distribution);
        return model;
    }

    private static Run beckon(String... args) {
        return BeckonProcess.withEnvironment(Map.of()).run(args);
    }

    private Run deploy(Path model, String... more) {
        List<String> args = new ArrayList<>(List.of("deploy", model.toString(), "--home", home));
        args.addAll(List.of(more));
        return beckon(args.toArray(String[]::new));
    }

    /** A deployer in a process of its own that stops at a step boundary, holding whatever it holds there. */
    private Process pausedDeployer(Path model, int boundary) throws Exception {
        Process process = BeckonProcess.pausedAt(boundary, List.of("deploy", model.toString(), "--home", home),
                dir.resolve("deployer-" + boundary + ".out"));
        deployers.add(process);
        return process;
    }

    private static void killHard(Process process) throws Exception {
        process.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, process.exitValue());
    }

    /** Every beckon unit file and link byte for byte, every loaded beckon unit with its state, the model's listeners. */
    private String targetSnapshot() throws Exception {
        StringBuilder snapshot = new StringBuilder(systemd.unitSnapshot("beckon-"));
        for (Map.Entry<String, Integer> port : ports.entrySet()) {
            String hex = String.format(":%04X", port.getValue());
            boolean listening = Files.readAllLines(Path.of("/proc/net/tcp")).stream().skip(1).map(l -> l.trim().split("\\s+"))
                    .anyMatch(f -> f[3].equals("0A") && f[1].endsWith(hex));
            snapshot.append(port.getKey()).append(listening ? " listening\n" : " not listening\n");
        }
        return snapshot.toString();
    }

    private String greeting(String service) throws IOException {
        return TestServices.text(TestServices.greeting(ports.get(service)));
    }

    private void assertNoJournalNorLocks() {
        Path profile = Path.of(home, "profiles", "default");
        for (Path left : List.of(profile.resolve("intent.json"), profile.resolve("intent.done"), profile.resolve("deploy.lock"),
                state.resolve("lock"))) {
            assertFalse(Files.exists(left), left + " is left behind");
        }
    }

    @Test
    void aDeployerKilledAtAnyStepBoundaryIsRecoveredToOneOfTheTwoGenerations() throws Exception {
        Run deployedFirst = deploy(first);
        assertEquals(0, deployedFirst.exitCode(), deployedFirst.out() + deployedFirst.err());
        String firstState = targetSnapshot();
        assertEquals(0, deploy(second).exitCode());
        String secondState = targetSnapshot();
        Run dry = deploy(first, "--dry-run");
        assertEquals(0, deploy(empty).exitCode());
        assertFalse(firstState.equals(secondState));
        assertTrue(dry.out().contains("Plan: 1 to activate, 1 to change, 1 to deactivate."), dry.out());
        // copy packages; deactivate b; install a and c; reload for level 0; change a; activate c; reload and verify
        int steps = 7;

        for (int boundary = 0; boundary <= steps + 1; boundary++) {
            Run clean = deploy(first);
            assertEquals(0, clean.exitCode(), clean.out() + clean.err());
            String generationsBefore = beckon("generations", "--home", home).out();

            killHard(pausedDeployer(second, boundary));

            Run next = beckon("status", "--home", home);
            String told = next.err();
            assertTrue(told.contains("An interrupted deployment (from generation "), "boundary " + boundary + ": " + told);
            assertTrue(told.contains(Math.min(boundary, steps) + " of " + steps + " steps done."), "boundary " + boundary + ": " + told);
            assertTrue(told.contains("warning: profile default was locked by beckon deploy by "), told);
            assertEquals(0, next.exitCode(), "boundary " + boundary + ": " + next.out() + told);
            boolean forward = boundary >= steps;
            assertEquals(forward ? secondState : firstState, targetSnapshot(), "boundary " + boundary + ": " + told);
            if (forward) {
                assertEquals("a v2", greeting("a"));
                assertEquals("c v2", greeting("c"));
                assertTrue(told.contains(boundary == steps ? "Every step was done: recorded it as generation "
                        : "Every step was done and generation "), told);
                assertTrue(beckon("plan", second.toString(), "--home", home).out().startsWith("No changes."));
            } else {
                assertEquals("a v1", greeting("a"));
                assertEquals("b v1", greeting("b"));
                assertTrue(told.contains("Recovered: the targets run generation "), told);
                assertEquals(generationsBefore, beckon("generations", "--home", home).out(), "no generation was recorded");
                assertTrue(beckon("plan", first.toString(), "--home", home).out().startsWith("No changes."));
            }
            assertNoJournalNorLocks();
            assertEquals(0, deploy(empty).exitCode());
        }
    }

    @Test
    void aSecondDeployerFailsAtOnceNamingTheHolderAndTouchesNothing() throws Exception {
        assertEquals(0, deploy(first).exitCode());
        String before = targetSnapshot();
        Process holder = pausedDeployer(second, 1);
        String held = targetSnapshot();

        Run same = deploy(second);
        assertEquals(1, same.exitCode(), same.out() + same.err());
        assertTrue(same.err().contains("profile default is locked by beckon deploy by " + System.getProperty("user.name") + "@"),
                same.err());
        assertTrue(same.err().contains("(pid " + holder.pid() + ", profile default) since "), same.err());
        Run rollback = beckon("rollback", "--home", home);
        assertEquals(1, rollback.exitCode());
        assertTrue(rollback.err().contains("(pid " + holder.pid() + ", profile default)"), rollback.err());

        // Another profile on the same target meets the target's lock.
        Path otherModel = model("other", Map.of("a", "other"), "");
        Files.writeString(otherModel.resolve("services.toml"), """
                [services.z]
                type = "systemd-unit"
                exec = ["/bin/sleep", "infinity"]
                """);
        Files.writeString(otherModel.resolve("distribution.toml"), "z = [\"local\"]\n");
        Run target = deploy(otherModel, "--profile", "other");
        assertEquals(1, target.exitCode(), target.out() + target.err());
        assertTrue(target.err().contains("target local is locked by beckon deploy by "), target.err());
        assertTrue(target.err().contains("(pid " + holder.pid() + ", profile default)"), target.err());

        Run unlock = beckon("unlock", "local", "--home", home);
        assertEquals(1, unlock.exitCode());
        assertTrue(unlock.out().contains("target local is locked by beckon deploy by ") && unlock.out().contains("it still runs"),
                unlock.out());
        assertEquals(held, targetSnapshot(), "the refused deployers touched nothing");

        Run status = beckon("status", "--home", home);
        assertTrue(status.err().contains("A deployment of profile default is in progress (beckon deploy by "), status.err());
        assertEquals(held, targetSnapshot(), "a read-only command does not recover a deployment that is still running");

        killHard(holder);
        Run recovered = beckon("status", "--home", home);
        assertEquals(0, recovered.exitCode(), recovered.out() + recovered.err());
        assertEquals(before, targetSnapshot());
        assertEquals(0, deploy(empty).exitCode());
        assertNoJournalNorLocks();
    }

    @Test
    void unlockForceBreaksTheLockOfALiveHolderAfterSayingWhoseItWas() throws Exception {
        assertEquals(0, deploy(first).exitCode());
        Process holder = pausedDeployer(second, 0);
        Run profileLock = beckon("unlock", "--home", home, "--force");
        assertEquals(0, profileLock.exitCode(), profileLock.err());
        assertTrue(profileLock.out().startsWith("Broke the lock of profile default, held by beckon deploy by "), profileLock.out());
        assertTrue(profileLock.out().contains("(pid " + holder.pid() + ", profile default)") && profileLock.out().contains("it still runs"),
                profileLock.out());
        Run targetLock = beckon("unlock", "local", "--home", home, "--force");
        assertTrue(targetLock.out().startsWith("Broke the lock of target local, held by "), targetLock.out());
        Run unknown = beckon("unlock", "nowhere", "--home", home);
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("profile default has deployed to no target nowhere; its targets are local"), unknown.err());
        killHard(holder);
        assertEquals(0, deploy(empty).exitCode());
        assertNoJournalNorLocks();
    }
}
