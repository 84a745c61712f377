package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.plan.Change;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.target.TargetSession;
import dev.beckon.planner.target.TargetSessions;
import java.io.IOException;
import java.time.Duration;

/** What the steps of one deployment share: the target sessions, the progress events and the journal. */
final class Execution {
    private final TargetSessions targets;
    private final DeployEvents events;
    private IntentJournal journal;
    /** The SSH targets that were not confirmed and put themselves back: no undo reaches for them. */
    private final java.util.Set<String> unconfirmed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Execution(TargetSessions targets, DeployEvents events) {
        this.targets = targets;
        this.events = events;
    }

    TargetSession session(String target) throws ActivationException {
        return targets.of(target);
    }

    /** The values of the secrets of the instances this command resolved from the model. */
    dev.beckon.planner.manifest.SecretValues secrets() {
        return targets.secrets();
    }

    void unconfirmed(String target) {
        unconfirmed.add(target);
    }

    java.util.Set<String> unconfirmed() {
        return java.util.Set.copyOf(unconfirmed);
    }

    DeployEvents events() {
        return events;
    }

    /** From now on, steps done are marked in this journal (none: a recovery, which its own journal covers). */
    void journal(IntentJournal opened) {
        this.journal = opened;
    }

    void stepDone(String step) throws ActivationException {
        if (journal != null) {
            try {
                journal.stepDone(step);
            } catch (IOException e) {
                throw new ActivationException(step, "cannot mark the step done in the deployment journal: " + e.getMessage(), e);
            }
        }
    }

    /** Every step is done: their lines in the journal are made durable before the generation is recorded. */
    void journalDurable() throws ActivationException {
        if (journal != null) {
            try {
                journal.stepsDurable();
            } catch (IOException e) {
                throw new ActivationException("journal", "cannot sync the deployment journal: " + e.getMessage(), e);
            }
        }
    }

    void closeJournal() {
        if (journal != null) {
            journal.close();
        }
    }

    /** Work on one instance that reports its start, its end and how long it took, or its failure. */
    interface Work {
        void run() throws ActivationException;
    }

    void report(Change change, boolean undo, Work work) throws ActivationException {
        events.changeStarted(change, undo);
        long started = System.nanoTime();
        try {
            work.run();
        } catch (ActivationException e) {
            events.changeFailed(change, undo, e);
            throw e;
        } catch (RuntimeException e) {
            ActivationException wrapped = new ActivationException(change.id(), "unexpected error: " + e, e);
            events.changeFailed(change, undo, wrapped);
            throw wrapped;
        }
        events.changeDone(change, undo, Duration.ofNanos(System.nanoTime() - started));
    }
}
