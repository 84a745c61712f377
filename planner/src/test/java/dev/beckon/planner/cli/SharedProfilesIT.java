package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.store.Store;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Profiles beyond one operator's machine, through {@code bin/beckon} against a real systemd user manager: two
 * operators (two homes) deploy the same system in turn through a shared bare repository and a diverged history is
 * refused; a lost profile is rebuilt from what its target records.
 */
@ExtendWith(SystemdSandboxExtension.class)
class SharedProfilesIT {
    @TempDir
    Path dir;

    private SystemdUserManager systemd;
    private Path state;
    private int port;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws IOException {
        this.systemd = systemd;
        state = dir.resolve("state");
        port = dev.beckon.sandbox.FreePorts.onLoopback();
    }

    /** The model of one on-demand greeting service, greeting with {@code greeting}; each version its own directory. */
    private Path model(String greeting) throws Exception {
        Path model = Files.createDirectories(dir.resolve("models").resolve(greeting));
        Path classes = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state));
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\n");
        Files.writeString(model.resolve("services.toml"), """
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
                """.formatted(classes, GreetingServer.class.getName(), greeting, port));
        return model;
    }

    private static Run ok(String... args) {
        Run run = beckon(args);
        assertEquals(0, run.exitCode(), String.join(" ", args) + ":\n" + run.out() + run.err());
        return run;
    }

    private static Run deploy(Path home, Path model) {
        return ok("deploy", model.toString(), "--home", home.toString());
    }

    private String greeting() throws Exception {
        systemd.systemctl("stop", "beckon-default-hello.service");
        return TestServices.text(TestServices.greeting(port)).strip();
    }

    /** Names the shared repository as `beckon profile remote` does (which the first operator runs), or stops sharing. */
    private static void share(Path home, String url) {
        try (Generations generations = Generations.open(home.resolve("profiles/default"), "default")) {
            generations.shared().setRemote(url);
        }
    }

    private static List<Integer> generations(Path home) {
        try (Generations generations = Generations.open(home.resolve("profiles/default"), "default")) {
            return generations.list().stream().map(Generation::number).toList();
        }
    }

    private static int current(Path home) {
        try (Generations generations = Generations.open(home.resolve("profiles/default"), "default")) {
            return generations.current().orElseThrow().number();
        }
    }

    private static byte[] manifest(Path home, int number) {
        try (Generations generations = Generations.open(home.resolve("profiles/default"), "default")) {
            return generations.manifest(number);
        }
    }

    @Test
    void twoOperatorsDeployInTurnWithoutLosingAGenerationAndADivergedHistoryIsRefused() throws Exception {
        Path alice = dir.resolve("alice");
        Path bob = dir.resolve("bob");
        String shared = dir.resolve("team/profile.git").toString();
        ok("profile", "remote", shared, "--home", alice.toString());
        share(bob, shared);

        deploy(alice, model("one"));
        Run second = deploy(bob, model("two"));
        assertTrue(second.out().contains("took the newer generations of " + shared), second.out());
        assertTrue(second.out().contains("Deployed generation 2"), second.out());
        Run third = deploy(alice, model("three"));
        assertTrue(third.out().contains("Deployed generation 3"), third.out());
        assertEquals("three", greeting());
        assertEquals(List.of(1, 2, 3), generations(alice), "alice has bob's generation too");
        ok("profile", "pull", "--home", bob.toString());
        assertEquals(List.of(1, 2, 3), generations(bob), "and bob alice's");

        // Bob deploys without sharing, Alice with it: both record a generation 4.
        share(bob, null);
        deploy(bob, model("bob4"));
        assertEquals(List.of(1, 2, 3, 4), generations(bob), "bob's own generation 4");
        share(bob, shared);
        deploy(alice, model("alice4"));
        for (List<String> refused : List.of(List.of("profile", "push"), List.of("deploy", model("bob5").toString()))) {
            List<String> args = new java.util.ArrayList<>(refused);
            args.addAll(List.of("--home", bob.toString()));
            Run run = beckon(args.toArray(String[]::new));
            assertEquals(1, run.exitCode(), run.out() + run.err());
            assertEquals(1, run.err().strip().lines().count(), run.err());
            assertTrue(run.err().contains("diverged") && run.err().contains("after generation 3")
                    && run.err().contains("beckon profile pull --force"), run.err());
        }
        assertEquals("alice4", greeting(), "the refused deployment changed nothing");
        ok("profile", "pull", "--force", "--home", bob.toString());
        assertArrayEquals(manifest(alice, 4), manifest(bob, 4), "bob took the shared history");
        assertEquals(4, current(bob));
    }

    @Test
    void aLostProfileIsReconstructedFromItsTargetWithTheSameManifest() throws Exception {
        Path home = dir.resolve("home");
        deploy(home, model("first"));
        Path second = model("second");
        deploy(home, second);
        byte[] original = manifest(home, 2);

        Store.deleteTree(home.resolve("profiles/default"));
        Run rebuilt = ok("reconstruct", second.toString(), "--home", home.toString());
        assertTrue(rebuilt.out().contains("generation 2 is current, as recorded on target local"), rebuilt.out());
        assertEquals(List.of(2), generations(home));
        assertArrayEquals(original, manifest(home, 2), "the rebuilt generation has the original's manifest, byte for byte");

        Run again = deploy(home, second);
        assertFalse(again.out().contains("Deployed generation"), "the model deploys as no change: " + again.out());
        Run refused = beckon("reconstruct", second.toString(), "--home", home.toString());
        assertEquals(1, refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.err().contains("only rebuilds a lost profile"), refused.err());
        assertEquals("second", greeting());
    }
}
