package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.models.Durations;
import dev.beckon.planner.manifest.ManifestEntry;
import java.time.Duration;
import java.util.List;

/**
 * The gate between two waves, on one target of the wave done: every instance the wave left there stays ready and
 * healthy (listening or running, its health check passing, as {@code beckon status} sees it) for the wave's pause,
 * asked again every {@link #INTERVAL}. Changes nothing, so it has nothing to undo.
 *
 * @param wave    the wave's number, from 1
 * @param entries what the deployment wants on the target
 */
record HealthyFor(String target, int wave, List<ManifestEntry> entries, Duration pause) implements Step {
    /** Between two looks during the pause: a crash loop or a failing check shows within it. */
    static final Duration INTERVAL = Duration.ofMillis(500);

    HealthyFor {
        entries = List.copyOf(entries);
    }

    @Override
    public String name() {
        return "wave " + wave + ": the instances on " + target + " ready and healthy for " + Durations.format(pause);
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        long deadline = System.nanoTime() + pause.toNanos();
        while (true) {
            for (ManifestEntry entry : entries) {
                InstanceStatus status = execution.session(target).query(entry);
                if (!status.isHealthy()) {
                    throw new ActivationException(entry.id(), "wave " + wave + " did not stay ready and healthy for "
                            + Durations.format(pause) + ": " + describe(status), status.log(), null);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                Thread.sleep(Math.min(INTERVAL.toMillis(), Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(target, "interrupted while waiting for wave " + wave + " to stay healthy", e);
            }
        }
        execution.events().targetStep(target, "wave " + wave + ": ready and healthy for " + Durations.format(pause));
        return new Inverse.Observed(target);
    }

    private static String describe(InstanceStatus status) {
        String activity = status.activity().name().toLowerCase(java.util.Locale.ROOT);
        if (status.presence() != InstanceStatus.Presence.INSTALLED) {
            activity = status.presence().name().toLowerCase(java.util.Locale.ROOT);
        } else if (!status.drift().isEmpty()) {
            activity = "drifted (" + String.join("; ", status.drift()) + ")";
        }
        return activity + (status.detail() == null || status.detail().isEmpty() ? "" : " (" + status.detail() + ")");
    }
}
