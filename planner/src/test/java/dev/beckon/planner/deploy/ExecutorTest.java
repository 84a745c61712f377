package dev.beckon.planner.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationModules;
import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.ModelFiles;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestResolver;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Inspector;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanText;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.target.TargetSessions;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment executor against real service managers: replacement in a new session, go-live by
 * dependency level with a connection arriving mid-deployment, and undo or a failed copy leaving nothing.
 */
@ExtendWith(SystemdSandboxExtension.class)
class ExecutorTest {
    private static final ModuleFinder MODULES = ActivationModules::forType;

    @TempDir
    Path dir;

    private final List<TargetSessions> sessions = new ArrayList<>();

    @AfterEach
    void closeSessions() {
        sessions.forEach(TargetSessions::close);
    }

    private TargetSessions sessions() {
        TargetSessions opened = TargetSessions.local(MODULES, "default");
        sessions.add(opened);
        return opened;
    }

    private Manifest resolve() throws Exception {
        return new ManifestResolver(MODULES, t -> t.stateDir().orElseThrow()).resolve(ModelLoader.load(dir), "default");
    }

    private Plan plan(Manifest desired, Manifest recorded) throws Exception {
        return Planner.plan(desired, recorded, new Inspector(sessions()).live(recorded, desired));
    }

    private DeployResult deploy(Plan plan) throws Exception {
        return new Deployer(sessions(), new DeployEvents() {}, 1).deploy(plan, Deployer.WITHOUT_JOURNAL);
    }

    private void infrastructure(SystemdUserManager systemd) throws Exception {
        Files.writeString(dir.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
    }

    private static String greeter(String service, String greeting, int port, String extra) {
        return """
                [services.%s]
                type = "systemd-unit"
                exec = %s
                ports = { http = %d }
                %s
                [services.%s.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                idle-timeout = "30s"
                """.formatted(service, toml(TestServices.javaCommand(GreetingServer.class, greeting)), port, extra, service);
    }

    private static String toml(List<String> words) {
        return "[" + String.join(", ", words.stream().map(w -> "\"" + w.replace("\\", "\\\\").replace("\"", "\\\"") + "\"").toList()) + "]";
    }

    @Test
    void anInstanceWhoseContainerChangesIsDeactivatedInItsOldSessionAndActivatedInItsNew(SystemdUserManager first) throws Exception {
        int port = TestServices.freePort();
        infrastructure(first);
        Files.writeString(dir.resolve("services.toml"), greeter("hello", "hello", port, ""));
        Files.writeString(dir.resolve("distribution.toml"), "hello = [\"local\"]\n");
        Manifest before = resolve();
        assertEquals(DeployResult.Outcome.DEPLOYED, deploy(plan(before, Manifest.empty("default"))).outcome());
        long oldServer = TestServices.pid(TestServices.greeting(port));
        assertTrue(first.processes().contains(oldServer), "the first manager serves");

        try (SystemdUserManager second = SystemdUserManager.start(dir.resolve("second-manager"))) {
            // The same port on another manager: it can bind only once the old instance let it go.
            infrastructure(second);
            Manifest after = resolve();
            Plan replacement = plan(after, before);
            String text = PlanText.render(replacement);
            assertEquals(1, replacement.count(Action.REPLACE), text);
            assertTrue(text.contains("-/+ hello  systemd-unit"), text);
            assertTrue(text.contains("(container changed: bus " + first.busAddress() + " → " + second.busAddress() + ")"), text);

            DeployResult result = deploy(replacement);
            assertEquals(DeployResult.Outcome.DEPLOYED, result.outcome(), result.toString());
            assertTrue(TestServices.awaitExit(oldServer, Duration.ofSeconds(10)), "the old instance still runs");
            assertFalse(Files.exists(first.unitDirectory().resolve("beckon-default-hello.socket")), "the old unit is left");
            assertEquals("not-found", first.systemctl("show", "--property=LoadState", "--value", "beckon-default-hello.socket")
                    .stdout().strip());
            long newServer = TestServices.pid(TestServices.greeting(port));
            assertTrue(second.processes().contains(newServer), "the new manager serves");
            assertTrue(plan(after, after).isEmpty(), "the new session runs what the model says");

            assertEquals(DeployResult.Outcome.DEPLOYED, deploy(plan(Manifest.empty("default"), after)).outcome());
        }
    }

    @Test
    void aDependantGoesLiveOnlyOnceWhatItDependsOnIsActivated(SystemdUserManager systemd) throws Exception {
        int webPort = TestServices.freePort();
        int auxPort = TestServices.freePort();
        infrastructure(systemd);
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.local.containers.gated]\n",
                java.nio.file.StandardOpenOption.APPEND);
        Path gate = Files.createDirectories(dir.resolve("gate"));
        // An external module whose activation of db v2 waits until the test opens the gate.
        Path module = Files.createDirectories(dir.resolve("state/modules")).resolve("gated");
        Files.writeString(module, """
                #!/bin/sh
                case "$1" in
                activate)
                    if [ "$BECKON_DESCRIPTION" = "db v2" ]; then
                        : > '%1$s/held'
                        for i in $(seq 1 600); do [ -e '%1$s/open' ] && exit 0; sleep 0.1; done
                        echo "the test never opened the gate" >&2; exit 1
                    fi ;;
                query) echo presence=installed; echo activity=running ;;
                esac
                exit 0
                """.formatted(gate));
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("distribution.toml"), "aux = [\"local\"]\ndb = [\"local\"]\nweb = [\"local\"]\n");

        writeVersion("v1", webPort, auxPort);
        Manifest v1 = resolve();
        // No connection yet: web runs no process, so the connection mid-deployment starts one from the live definition.
        assertEquals(DeployResult.Outcome.DEPLOYED, deploy(plan(v1, Manifest.empty("default"))).outcome());

        writeVersion("v2", webPort, auxPort);
        Manifest v2 = resolve();
        Plan upgrade = plan(v2, v1);
        assertEquals(3, upgrade.count(Action.CHANGE), PlanText.render(upgrade));
        CompletableFuture<DeployResult> deployment = CompletableFuture.supplyAsync(() -> {
            try {
                return deploy(upgrade);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            for (int i = 0; i < 1200 && !Files.exists(gate.resolve("held")) && !deployment.isDone(); i++) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(gate.resolve("held")), "db v2's activation never began: " + (deployment.isDone() ? deployment.join() : ""));
            // aux, of the same level as db, is already changed and systemd reloaded for it; web's new units are not live yet.
            assertEquals("aux v2", TestServices.text(TestServices.greeting(auxPort)));
            assertEquals("web v1", TestServices.text(TestServices.greeting(webPort)),
                    "a connection during db's upgrade started the new web before db v2 was activated");
        } finally {
            Files.writeString(gate.resolve("open"), "");
        }
        DeployResult result = deployment.get(120, TimeUnit.SECONDS);
        assertEquals(DeployResult.Outcome.DEPLOYED, result.outcome(), result.toString());
        assertEquals("web v2", TestServices.text(TestServices.greeting(webPort)));
        assertEquals(DeployResult.Outcome.DEPLOYED, deploy(plan(Manifest.empty("default"), v2)).outcome());
    }

    private void writeVersion(String version, int webPort, int auxPort) throws Exception {
        Files.writeString(dir.resolve("services.toml"), greeter("aux", "aux " + version, auxPort, "")
                + greeter("web", "web " + version, webPort, "depends-on = [\"db\"]")
                + """
                [services.db]
                type = "gated"
                description = "db %s"
                exec = ["/bin/true"]
                """.formatted(version));
    }

    @Test
    void aFailedDeploymentOfAnAlwaysOnServiceLeavesNoEmptyWantsDirectory(SystemdUserManager systemd) throws Exception {
        infrastructure(systemd);
        Files.writeString(dir.resolve("services.toml"), """
                [services.sleeper]
                type = "systemd-unit"
                exec = ["/bin/sleep", "3600"]
                [services.broken]
                type = "systemd-unit"
                exec = ["/bin/sh", "-c", "exit 2"]
                depends-on = ["sleeper"]
                """);
        Files.writeString(dir.resolve("distribution.toml"), "sleeper = [\"local\"]\nbroken = [\"local\"]\n");
        String before = systemd.unitSnapshot("beckon-");
        DeployResult failed = deploy(plan(resolve(), Manifest.empty("default")));
        assertEquals(DeployResult.Outcome.FAILED_AND_UNDONE, failed.outcome(), failed.toString());
        assertEquals(before, systemd.unitSnapshot("beckon-"), "the units are not as they were");
        assertFalse(Files.exists(systemd.unitDirectory().resolve("default.target.wants")), "an empty default.target.wants is left");
    }

    @Test
    void aPackageThatCannotBeCopiedLeavesNoJournalNoPartialCopyAndNoInstanceDirectory(SystemdUserManager systemd) throws Exception {
        infrastructure(systemd);
        Path good = Files.createDirectories(dir.resolve("packages/good"));
        Files.writeString(good.resolve("data"), "fine");
        Path bad = Files.createDirectories(dir.resolve("packages/bad"));
        Files.writeString(bad.resolve("a-file"), "copied first");
        Files.writeString(dir.resolve("services.toml"), """
                [services.alpha]
                type = "systemd-unit"
                package = "%s"
                exec = ["/bin/sleep", "3600"]
                [services.beta]
                type = "systemd-unit"
                package = "%s"
                exec = ["/bin/sleep", "3600"]
                """.formatted(good, bad));
        Files.writeString(dir.resolve("distribution.toml"), "alpha = [\"local\"]\nbeta = [\"local\"]\n");
        Path home = dir.resolve("home");
        try (Deployments deployments = Deployments.open(home, "default", MODULES, System.getenv());
                ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            deployments.lockForChanges("deploy", new DeployEvents() {});
            Plan plan = deployments.plan(deployments.desired(ModelLoader.load(dir)));
            // A socket cannot be copied (nor hashed, so it comes after planning): beta's copy fails half-way.
            socket.bind(UnixDomainSocketAddress.of(bad.resolve("z-socket")));
            PlanningException failure = assertThrows(PlanningException.class,
                    () -> deployments.deploy(plan, ModelFiles.in(dir), "test", "", new DeployEvents() {}));
            assertTrue(failure.getMessage().contains("no service was changed"), failure.getMessage());
            try (Stream<Path> left = Files.walk(home)) {
                List<Path> journals = left.filter(p -> p.getFileName().toString().startsWith("intent")).toList();
                assertEquals(List.of(), journals, "a journal is left");
            }
            Path store = dir.resolve("state/store");
            if (Files.exists(store)) {
                try (Stream<Path> entries = Files.list(store)) {
                    assertEquals(List.of(), entries.toList(), "the store keeps what the failed deployment copied or made");
                }
            }
            assertEquals("", systemd.unitSnapshot("beckon-"));
            assertTrue(deployments.generations().isEmpty(), "a generation was recorded");
        }
    }
}
