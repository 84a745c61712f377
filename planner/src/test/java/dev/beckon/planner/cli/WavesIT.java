package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployments in waves through {@code bin/beckon}: three targets t1, t2, t3 (one service each) on one sandbox systemd
 * manager, deployed in the waves [t1], [t2], [t3]. Each test has its own profile, ports and state directories.
 */
@ExtendWith(SystemdSandboxExtension.class)
class WavesIT {
    private static final List<String> SERVICES = List.of("s1", "s2", "s3");

    @TempDir
    Path dir;

    private SystemdUserManager systemd;
    private String home;
    private String profile;
    private final Map<String, Integer> ports = new TreeMap<>();
    private final List<Process> deployers = new ArrayList<>();
    private static int profiles;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        home = dir.resolve("home").toString();
        profile = "waves" + (++profiles);
        for (String service : SERVICES) {
            ports.put(service, TestServices.freePort());
        }
    }

    @AfterEach
    void undeploy() {
        deployers.forEach(Process::destroyForcibly);
        beckon("undeploy", "--home", home, "--profile", profile);
    }

    /**
     * A model of s1 on t1, s2 on t2, s3 on t3, each greeting with its name and {@code version}; {@code s2} replaces s2's
     * service table when given, {@code rollout} is the infrastructure file's [rollout].
     */
    private Path model(String name, String version, String s2, String rollout) throws Exception {
        Path model = Files.createDirectories(dir.resolve(name));
        StringBuilder infrastructure = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            infrastructure.append(systemd.localTarget(dir.resolve("state-t" + i)).replace("targets.local", "targets.t" + i));
        }
        infrastructure.append(rollout);
        Files.writeString(model.resolve("infrastructure.toml"), infrastructure);
        Path classes = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        StringBuilder services = new StringBuilder();
        for (String service : SERVICES) {
            if (service.equals("s2") && s2 != null) {
                services.append(s2);
                continue;
            }
            services.append("""
                    [services.%1$s]
                    type = "systemd-unit"
                    package = "%2$s"
                    exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%3$s", "%1$s %4$s"]
                    class-data-archive = false
                    ports = { http = %5$d }
                    [services.%1$s.on-demand]
                    listen = ["127.0.0.1:{ports.http}"]
                    pass = "stdin"
                    idle-timeout = "1h"
                    """.formatted(service, classes, GreetingServer.class.getName(), version, ports.get(service)));
        }
        Files.writeString(model.resolve("services.toml"), services);
        Files.writeString(model.resolve("distribution.toml"), "s1 = [\"t1\"]\ns2 = [\"t2\"]\ns3 = [\"t3\"]\n");
        return model;
    }

    /** s2 as a service whose process runs but whose health check never passes: its activation fails at its ready timeout. */
    private static final String FAILING_S2 = """
            [services.s2]
            type = "systemd-unit"
            exec = ["/bin/sleep", "3600"]
            ready-timeout = "2s"
            [services.s2.health]
            exec = ["/bin/false"]
            """;

    private static final String WAVES = "[rollout]\nwaves = [[\"t1\"], [\"t2\"], \"rest\"]\npause = \"3s\"\n";

    private Run beckon(String... args) {
        return BeckonProcess.withEnvironment(Map.of()).run(args);
    }

    private Run deploy(Path model, String... more) {
        List<String> args = new ArrayList<>(List.of("deploy", model.toString(), "--home", home, "--profile", profile));
        args.addAll(List.of(more));
        return beckon(args.toArray(String[]::new));
    }

    private String greeting(String service) throws IOException {
        return TestServices.text(TestServices.greeting(ports.get(service)));
    }

    private void deployFirstGeneration() throws Exception {
        Run first = deploy(model("first", "v1", null, ""));
        assertEquals(0, first.exitCode(), first.output());
        assertEquals("s1 v1", greeting("s1"));
    }

    @Test
    void aFailureInWaveTwoUndoesWavesTwoAndOne() throws Exception {
        deployFirstGeneration();
        Run second = deploy(model("second", "v2", FAILING_S2, WAVES));
        assertEquals(1, second.exitCode(), second.output());
        assertTrue(second.out().contains("In 3 waves") && second.out().contains("wave 2: t2"), second.output());
        assertTrue(second.out().contains("Wave 2 of 3: t2"), second.output());
        assertTrue(second.out().contains("[t1] ~ s1  put back"), "wave 1 was done, then undone:\n" + second.output());
        assertTrue(second.out().contains("Deployment failed and was undone"), second.output());
        assertTrue(!second.out().contains("Wave 3 of 3"), "wave 3 never began:\n" + second.output());
        for (String service : SERVICES) {
            assertEquals(service + " v1", greeting(service));
        }
        Run status = beckon("status", "--home", home, "--profile", profile);
        assertEquals(0, status.exitCode(), status.output());
    }

    @Test
    void keepDoneWavesUndoesOnlyTheFailingWaveAndRecordsWhatRuns() throws Exception {
        deployFirstGeneration();
        Run second = deploy(model("second", "v2", FAILING_S2, WAVES), "--keep-done-waves");
        assertEquals(1, second.exitCode(), second.output());
        assertTrue(second.out().contains("the 1 wave(s) done before it were kept and recorded as generation 2"), second.output());
        assertEquals("s1 v2", greeting("s1"));
        assertEquals("s2 v1", greeting("s2"));
        assertEquals("s3 v1", greeting("s3"));
        Run status = beckon("status", "--home", home, "--profile", profile);
        assertEquals(0, status.exitCode(), "generation 2 says what runs:\n" + status.output());
        Run back = beckon("rollback", "--home", home, "--profile", profile);
        assertEquals(0, back.exitCode(), back.output());
        assertEquals("s1 v1", greeting("s1"));
    }

    @Test
    void wavesFromTheCommandLineAndACrashInWaveTwoIsRecoveredToTheGenerationBefore() throws Exception {
        deployFirstGeneration();
        Path second = model("second", "v2", null, "");
        // 3 copies; wave 1: install, reload, activate, last reload, gate (boundary 8); wave 2: install, reload (10).
        Process deployer = pausedDeployer(second, 10, "--waves", "t1;t2;rest", "--pause", "1s");
        deployer.destroyForcibly();
        assertTrue(deployer.waitFor(30, TimeUnit.SECONDS));
        assertEquals("s1 v2", greeting("s1"), "wave 1 was done when the deployer was killed");
        Run status = beckon("status", "--home", home, "--profile", profile);
        assertTrue(status.output().contains("Recovered: the targets run generation 1."), status.output());
        assertEquals(0, status.exitCode(), status.output());
        for (String service : SERVICES) {
            assertEquals(service + " v1", greeting(service));
        }
        Run again = deploy(second, "--waves", "t1", "--waves", "t2", "--waves", "rest", "--pause", "1s");
        assertEquals(0, again.exitCode(), again.output());
        for (String service : SERVICES) {
            assertEquals(service + " v2", greeting(service));
        }
    }

    /** A deployer in a process of its own that stops at a step boundary, as CrashRecoveryIT's do. */
    private Process pausedDeployer(Path model, int boundary, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("deploy", model.toString(), "--home", home, "--profile", profile));
        args.addAll(List.of(more));
        Process process = BeckonProcess.pausedAt(boundary, args, dir.resolve("deployer.out"));
        deployers.add(process);
        return process;
    }
}
