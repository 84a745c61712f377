package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** [rollout] as the model reads it and its waves resolved to targets; its mistakes are in broken-models/bad-rollout. */
class RolloutTest {
    private static final List<String> EIGHT = List.of("web1", "web2", "web3", "web4", "web5", "web6", "web7", "web8");

    @TempDir
    Path dir;

    private SystemModel load(String rollout) throws Exception {
        StringBuilder infrastructure = new StringBuilder();
        for (String target : List.of("db", "web1", "web2")) {
            infrastructure.append("[targets.%s]\nhost = \"localhost\"\nstate-dir = \"/tmp/%s\"\n[targets.%s.containers.systemd-unit]\n"
                    .formatted(target, target, target));
        }
        Files.writeString(dir.resolve("infrastructure.toml"), infrastructure + rollout);
        Files.writeString(dir.resolve("services.toml"), "[services.hello]\ntype = \"systemd-unit\"\nexec = [\"/bin/true\"]\n");
        Files.writeString(dir.resolve("distribution.toml"), "hello = [\"web1\"]\n");
        return ModelLoader.load(dir);
    }

    @Test
    void aModelWithoutRolloutDeploysEveryTargetAtOnce() throws Exception {
        assertFalse(load("").rollout().isStaged());
    }

    @Test
    void readsTheWavesAndThePause() throws Exception {
        Rollout rollout = load("[rollout]\nwaves = [[\"web1\"], \"50%\", \"rest\"]\npause = \"2s\"\n").rollout();
        assertEquals(List.of(new Rollout.Wave.Targets(List.of("web1")), new Rollout.Wave.Share(50), new Rollout.Wave.Rest()),
                rollout.waves());
        assertEquals(Duration.ofSeconds(2), rollout.pause());
        assertEquals(List.of(List.of("web1"), List.of("db", "web2")), rollout.resolve(List.of("db", "web1", "web2")));
    }

    @Test
    void thePauseIsThirtySecondsUnlessGiven() throws Exception {
        assertEquals(Duration.ofSeconds(30), load("[rollout]\nwaves = [[\"web1\"], \"rest\"]\n").rollout().pause());
    }

    @Test
    void aShareIsOfAllTargetsRoundedUpAndTakenByNameFromThoseLeft() {
        Rollout rollout = new Rollout(List.of(new Rollout.Wave.Targets(List.of("web8")), new Rollout.Wave.Share(25),
                new Rollout.Wave.Share(1), new Rollout.Wave.Rest()), Duration.ZERO);
        assertEquals(List.of(List.of("web8"), List.of("web1", "web2"), List.of("web3"), List.of("web4", "web5", "web6", "web7")),
                rollout.resolve(EIGHT));
    }

    @Test
    void targetsNoWaveTakesFormALastWaveAndEmptyWavesAreLeftOut() {
        Rollout rollout = new Rollout(List.of(new Rollout.Wave.Targets(List.of("web2")), new Rollout.Wave.Share(100),
                new Rollout.Wave.Rest()), Duration.ZERO);
        assertEquals(List.of(List.of("web2"), List.of("web1", "web3")), rollout.resolve(List.of("web1", "web2", "web3")));
        Rollout partial = new Rollout(List.of(new Rollout.Wave.Targets(List.of("web2"))), Duration.ZERO);
        assertEquals(List.of(List.of("web2"), List.of("web1", "web3")), partial.resolve(List.of("web1", "web2", "web3")));
    }

    @Test
    void parsesWavesAsTheCommandLineWritesThem() {
        assertEquals(new Rollout.Wave.Rest(), Rollout.parseWave("rest"));
        assertEquals(new Rollout.Wave.Share(25), Rollout.parseWave("25%"));
        assertEquals(new Rollout.Wave.Targets(List.of("web1", "web2")), Rollout.parseWave("web1, web2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Rollout.parseWave("0%")).getMessage().contains("1% to 100%"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Rollout.parseWave("Web/1")).getMessage()
                .contains("is not a target name"));
        assertEquals(List.of(Optional.empty(), Optional.of("target web1 is in more than one wave; a target goes in one wave")),
                Rollout.problems(List.of(Rollout.parseWave("web1"), Rollout.parseWave("web1,web2")), EIGHT));
    }
}
