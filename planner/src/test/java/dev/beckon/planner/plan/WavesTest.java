package dev.beckon.planner.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.Rollout;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Waves resolved over a plan's targets, their fit with the dependency order, and what runs once some are done. */
class WavesTest {
    private static ManifestEntry entry(String service, String target, String hash, List<String> dependsOn) {
        return new ManifestEntry(service, target, "systemd-unit", hash, "", List.of("/bin/" + service), new TreeMap<>(), new TreeMap<>(),
                List.of(), "0", false, false, "", "", "", "/state/" + service, new TreeMap<>(), "/state", dependsOn, new TreeMap<>(),
                new TreeMap<>(), "", "");
    }

    private static Manifest manifest(ManifestEntry... entries) {
        TreeMap<String, Manifest.TargetRecord> targets = new TreeMap<>();
        for (String target : List.of("t1", "t2")) {
            targets.put(target, new Manifest.TargetRecord(target, "localhost", "127.0.0.1", "/state/" + target));
        }
        return new Manifest(Manifest.FORMAT_VERSION, "default", targets, List.of(entries));
    }

    /** db on t2 and api on t1 (depending on db) both change from version 1 to 2. */
    private static Plan bothChange() {
        ManifestEntry db1 = entry("db", "t2", "1", List.of());
        ManifestEntry api1 = entry("api", "t1", "1", List.of("db"));
        ManifestEntry db2 = entry("db", "t2", "2", List.of());
        ManifestEntry api2 = entry("api", "t1", "2", List.of("db"));
        return new Plan(manifest(api2, db2), manifest(api1, db1), List.of(
                new Change(Action.CHANGE, "t2", "db", Optional.of(db2), Optional.of(db1), List.of()),
                new Change(Action.CHANGE, "t1", "api", Optional.of(api2), Optional.of(api1), List.of())));
    }

    private static Waves waves(String first, String second) {
        Rollout rollout = new Rollout(List.of(new Rollout.Wave.Targets(List.of(first)), new Rollout.Wave.Rest()), Duration.ofSeconds(1));
        return Waves.of(rollout, bothChange(), false);
    }

    @Test
    void aServiceCannotGoLiveInAWaveBeforeADependencyThatChangesLater() {
        Optional<String> problem = waves("t1", "t2").orderProblem(bothChange());
        assertTrue(problem.isPresent());
        assertEquals("service api on target t1 (wave 1) depends on db, which changes on target t2 in wave 2: a service goes live only"
                + " after what it depends on, so put target t2 in wave 1 or before", problem.get());
    }

    @Test
    void dependenciesInEarlierWavesFit() {
        Waves waves = waves("t2", "t1");
        assertEquals(List.of(List.of("t2"), List.of("t1")), waves.targets());
        assertEquals(Optional.empty(), waves.orderProblem(bothChange()));
    }

    @Test
    void whatRunsOnceTheFirstWaveIsDoneIsTheNewModelThereAndTheOldOneElsewhere() {
        Plan plan = bothChange();
        Manifest done = waves("t2", "t1").doneBefore(1, plan);
        assertEquals(List.of(plan.recorded().entry("api@t1").orElseThrow(), plan.desired().entry("db@t2").orElseThrow()), done.entries());
        assertEquals(plan.desired().entries(), waves("t2", "t1").doneBefore(2, plan).entries());
    }

    @Test
    void noRolloutIsOneWaveWithoutPause() {
        Waves none = Waves.of(Rollout.NONE, bothChange(), false);
        assertTrue(!none.isStaged());
        assertEquals(Optional.empty(), none.orderProblem(bothChange()));
    }
}
