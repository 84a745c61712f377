package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.target.TargetSession;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Confirm or roll back, the last step on an SSH target: arms the target's agent to put the target back to what it ran
 * before on its own, then confirms through a new SSH connection. When the new connection fails, or comes too late, the
 * target puts itself back: this step waits until its timeout has passed, asks over the old connection (when it still
 * works) what the target recorded, and fails with {@link Unconfirmed}, so that the deployer undoes the other targets
 * and leaves this one alone.
 *
 * @param current  what the deployment makes the target run
 * @param previous what it ran before
 */
record ConfirmTarget(String target, Path stateDirectory, List<ManifestEntry> current, List<ManifestEntry> previous, Duration timeout)
        implements Step {
    /** How long, after the target's deadline, its record of putting itself back is waited for. */
    private static final Duration RECORD_WAIT = Duration.ofSeconds(60);

    ConfirmTarget {
        current = List.copyOf(current);
        previous = List.copyOf(previous);
    }

    /** A target that was not confirmed and put (or puts) itself back. */
    static final class Unconfirmed extends ActivationException {
        Unconfirmed(String target, String message) {
            super(target, message);
        }
    }

    @Override
    public String name() {
        return "confirm " + target + " through a new SSH connection";
    }

    @Override
    public Inverse run(Execution execution, UndoLog undo) throws ActivationException {
        TargetSession session = execution.session(target);
        Optional<TargetSession.Confirmation> armed = session.armConfirmation(stateDirectory, current, previous, timeout);
        if (armed.isEmpty()) {
            return new Inverse.Observed(target);
        }
        String why;
        try {
            if (armed.get().confirm()) {
                execution.events().targetStep(target, "confirmed through a new SSH connection");
                return new Inverse.Observed(target);
            }
            why = "the confirmation came after the target's confirm-timeout of " + dev.beckon.models.Durations.format(timeout);
        } catch (ActivationException e) {
            why = e.getMessage();
        }
        execution.unconfirmed(target);
        throw new Unconfirmed(target, "not confirmed (" + why + "): the target puts itself back to what it ran before; "
                + recorded(armed.get()));
    }

    /** What the target recorded of putting itself back, once its deadline passed; or why it is not known. */
    private String recorded(TargetSession.Confirmation armed) {
        long waitUntil = armed.deadlineMillis() + RECORD_WAIT.toMillis();
        try {
            while (true) {
                long left = armed.deadlineMillis() - System.currentTimeMillis();
                if (left > 0) {
                    Thread.sleep(Math.min(left + 100, 1000));
                    continue;
                }
                List<String> outcome = armed.outcome();
                if (!outcome.isEmpty()) {
                    return "it recorded: " + String.join("; ", outcome);
                }
                if (System.currentTimeMillis() > waitUntil) {
                    return "it recorded nothing within " + dev.beckon.models.Durations.format(RECORD_WAIT) + " of its deadline";
                }
                Thread.sleep(200);
            }
        } catch (ActivationException e) {
            return "its record cannot be read over the old connection either (" + e.getMessage() + "); it gave up waiting at "
                    + Instant.ofEpochMilli(armed.deadlineMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while waiting for its record";
        }
    }
}
