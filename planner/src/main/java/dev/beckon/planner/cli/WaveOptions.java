package dev.beckon.planner.cli;

import dev.beckon.models.Durations;
import dev.beckon.models.Rollout;
import dev.beckon.models.SystemModel;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.plan.Waves;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --waves}, {@code --pause} and {@code --keep-done-waves}: the model's {@code [rollout]}, from the command line. */
final class WaveOptions {
    @Option(names = "--waves", paramLabel = "WAVE", split = ";",
            description = "Deploy in waves, in place of the model's [rollout] waves: each WAVE is target names separated by commas,"
                    + " a share of the targets such as 25%%, or rest; repeat it or separate waves with ';' (web1;25%%;rest).")
    List<String> waves = new ArrayList<>();

    @Option(names = "--pause", paramLabel = "DURATION",
            description = "How long every instance of a wave must stay ready and healthy before the next wave begins"
                    + " (default: the model's pause, else 30s).")
    String pause;

    @Option(names = "--keep-done-waves", description = "After a failure, undo only the wave it happened in and keep the waves"
            + " done before it (recorded as a generation), instead of undoing them all.")
    boolean keepDoneWaves;

    /**
     * The waves this deployment goes in: the command line's, else the model's.
     *
     * @throws PlanningException saying what is wrong with the options; nothing has changed
     */
    Waves resolve(SystemModel model, Plan plan) throws PlanningException {
        Rollout rollout = model.rollout();
        if (!waves.isEmpty()) {
            List<Rollout.Wave> given = new ArrayList<>();
            try {
                for (String wave : waves) {
                    given.add(Rollout.parseWave(wave));
                }
            } catch (IllegalArgumentException e) {
                throw new PlanningException("--waves: " + e.getMessage());
            }
            List<Optional<String>> problems = Rollout.problems(given, model.targets().keySet());
            for (Optional<String> problem : problems) {
                if (problem.isPresent()) {
                    throw new PlanningException("--waves: " + problem.get());
                }
            }
            rollout = new Rollout(given, rollout.isStaged() ? rollout.pause() : Rollout.DEFAULT_PAUSE, rollout.confirmTimeout());
        }
        if (pause != null) {
            Duration parsed;
            try {
                parsed = Durations.parse(pause);
            } catch (IllegalArgumentException e) {
                throw new PlanningException("--pause: " + e.getMessage());
            }
            rollout = new Rollout(rollout.waves(), parsed, rollout.confirmTimeout());
        }
        return Waves.of(rollout, plan, keepDoneWaves);
    }

    /** The waves under a plan, when there are waves. */
    static String render(Waves waves) {
        if (!waves.isStaged()) {
            return "";
        }
        StringBuilder out = new StringBuilder("\nIn " + waves.targets().size() + " waves, each begun once every instance of the one before"
                + " has been ready and healthy for " + waves.pauseText() + (waves.keepDone() ? "; a failure undoes only its own wave"
                : "; a failure undoes every wave") + ":\n");
        waves.describe().forEach(line -> out.append("  ").append(line).append('\n'));
        return out.toString();
    }
}
