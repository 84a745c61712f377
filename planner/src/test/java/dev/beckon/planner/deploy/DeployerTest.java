package dev.beckon.planner.deploy;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestResolver;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Inspector;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanText;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.TargetSessions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.systemd.SystemdUnitModule;
import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Plans and deployments against a real systemd user manager, through the planner alone (no CLI, no generations). */
@ExtendWith(SystemdSandboxExtension.class)
class DeployerTest {
    private static final ModuleFinder MODULES = (type, state) -> {
        if (!type.equals(SystemdUnitModule.TYPE)) {
            throw new IllegalArgumentException("only systemd-unit in these tests, not " + type);
        }
        ActivationModule module = new SystemdUnitModule();
        return module;
    };

    @TempDir
    Path dir;

    private SystemdUserManager systemd;
    private int port;
    private int otherPort;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        this.systemd = systemd;
        port = TestServices.freePort();
        otherPort = TestServices.freePort();
        Files.writeString(dir.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                scope = "user"
                bus = "%s"
                journal-directory = "%s"
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
    }

    private SystemModel model(String greeting, boolean withBrokenService) throws Exception {
        Path testServices = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String services = """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%s", "%s"]
                class-data-archive = false
                ports = { http = %d }
                [services.hello.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                idle-timeout = "30s"

                [services.sleeper]
                type = "systemd-unit"
                exec = ["/bin/sleep", "3600"]
                """.formatted(testServices, GreetingServer.class.getName(), greeting, port);
        String distribution = "hello = [\"local\"]\nsleeper = [\"local\"]\n";
        if (withBrokenService) {
            services += """
                    [services.broken]
                    type = "systemd-unit"
                    exec = ["/bin/sh", "-c", "echo cannot start >&2; exit 2"]
                    depends-on = ["hello"]
                    """;
            distribution += "broken = [\"local\"]\n";
        }
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("distribution.toml"), distribution);
        return ModelLoader.load(dir);
    }

    /** Each command of beckon opens its own target sessions; so does each step of this test. */
    private final List<TargetSessions> sessions = new ArrayList<>();

    private TargetSessions sessions() {
        TargetSessions opened = TargetSessions.local(MODULES, "default");
        sessions.add(opened);
        return opened;
    }

    private Deployer deployer() {
        return new Deployer(sessions(), new DeployEvents() {}, 1);
    }

    @AfterEach
    void closeSessions() {
        sessions.forEach(TargetSessions::close);
    }

    private Manifest resolve(SystemModel model) throws PlanningException {
        return new ManifestResolver(MODULES, t -> t.stateDir().orElseThrow()).resolve(model, "default");
    }

    private Plan plan(Manifest desired, Manifest recorded) throws PlanningException {
        return Planner.plan(desired, recorded, new Inspector(sessions()).live(recorded));
    }

    /**
     * What a target runs, byte for byte: every beckon unit file and link with its content, and every
     * beckon unit the manager has loaded with its state.
     */
    private String targetSnapshot() throws Exception {
        StringBuilder snapshot = new StringBuilder(systemd.unitSnapshot("beckon-"));
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            // Listening sockets (state 0A) on the model's ports; other tests on this machine open their own.
            String modelPort = String.format(":%04X", port);
            Files.readAllLines(Path.of(table)).stream().skip(1).map(l -> l.trim().split("\\s+"))
                    .filter(f -> f[3].equals("0A") && f[1].endsWith(modelPort))
                    .map(f -> "listening " + f[1] + "\n").sorted().forEach(snapshot::append);
        }
        return snapshot.toString();
    }

    /** Every path in the target's store. */
    private List<String> storeListing() throws Exception {
        try (var paths = Files.walk(dir.resolve("state/store"))) {
            return paths.map(Path::toString).sorted().toList();
        }
    }

    @Test
    void deploysChangesUndoesAFailureAndSeesDrift() throws Exception {
        Manifest empty = Manifest.empty("default");

        Manifest first = resolve(model("hello v1", false));
        Plan initial = plan(first, empty);
        assertEquals(2, initial.count(Action.ACTIVATE), PlanText.render(initial));
        assertEquals(DeployResult.Outcome.DEPLOYED, deployer().deploy(initial, Deployer.WITHOUT_JOURNAL).outcome());
        assertEquals("hello v1", TestServices.text(TestServices.greeting(port)));
        assertTrue(Files.isRegularFile(Path.of(first.entry("hello@local").orElseThrow().packagePath())), "the package is in the store");

        assertTrue(plan(first, first).isEmpty(), "deploying the same model again changes nothing");

        Manifest second = resolve(model("hello v2", false));
        Plan upgrade = plan(second, first);
        assertEquals(List.of("beckon-default-hello.service changed"), upgrade.changes().get(0).reasons(), PlanText.render(upgrade));
        assertEquals(1, upgrade.changes().size(), "the sleeper is untouched");
        assertEquals(DeployResult.Outcome.DEPLOYED, deployer().deploy(upgrade, Deployer.WITHOUT_JOURNAL).outcome());
        assertEquals("hello v2", TestServices.text(TestServices.greeting(port)));

        String before = targetSnapshot();
        List<String> storeBefore = storeListing();
        Manifest withFailure = resolve(model("hello v3", true));
        DeployResult failed = deployer().deploy(plan(withFailure, second), Deployer.WITHOUT_JOURNAL);
        assertEquals(DeployResult.Outcome.FAILED_AND_UNDONE, failed.outcome(), failed.toString());
        assertTrue(failed.failure().orElseThrow().getMessage().contains("beckon-default-broken.service"), failed.toString());
        assertTrue(failed.failure().orElseThrow().logTail().stream().anyMatch(l -> l.contains("cannot start")),
                failed.failure().get().describe());
        assertEquals("hello v2", TestServices.text(TestServices.greeting(port)), "the undo brings back what ran before");
        assertEquals(before, targetSnapshot(), "unit files, links and active units are exactly as before");
        assertEquals(storeBefore, storeListing(), "what the failed deployment put into the store is gone again");
        Path units = systemd.unitDirectory();
        assertFalse(Files.exists(units.resolve("beckon-default-broken.service")));
        assertFalse(Files.exists(dir.resolve("state/lock")), "the lock is released after a clean undo");
        assertTrue(plan(second, second).isEmpty(), "after the undo the targets are exactly as recorded");

        Files.delete(units.resolve("beckon-default-hello.socket"));
        Plan drift = plan(second, second);
        assertEquals(List.of("drifted: beckon-default-hello.socket is missing"), drift.changes().get(0).reasons());
        assertEquals(DeployResult.Outcome.DEPLOYED, deployer().deploy(drift, Deployer.WITHOUT_JOURNAL).outcome());
        Plan repaired = plan(second, second);
        assertTrue(repaired.isEmpty(), "deploying repairs the drift: " + PlanText.render(repaired));

        Plan teardown = plan(Manifest.empty("default"), second);
        assertEquals(2, teardown.count(Action.DEACTIVATE));
        assertEquals(DeployResult.Outcome.DEPLOYED, deployer().deploy(teardown, Deployer.WITHOUT_JOURNAL).outcome());
        assertEquals(Map.of(), Map.copyOf(new Inspector(sessions()).live(Manifest.empty("default"))));
        try (var entries = Files.list(units)) {
            assertEquals(List.of(), entries.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList());
        }
    }
}
