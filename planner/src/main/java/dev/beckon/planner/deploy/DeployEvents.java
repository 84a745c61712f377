package dev.beckon.planner.deploy;

import dev.beckon.planner.plan.Change;
import dev.beckon.activation.ActivationException;
import java.time.Duration;

/** What a deployment reports as it goes, for people to follow; every method has a do-nothing default. */
public interface DeployEvents {
    /** Something people should know that concerns no one target: a stale lock taken over, a recovery. */
    default void notice(String text) {}

    /** A target-wide step: locking, copying packages, recording. */
    default void targetStep(String target, String what) {}

    /** A change is about to be carried out ({@code undo}: put back as it was). */
    default void changeStarted(Change change, boolean undo) {}

    default void changeDone(Change change, boolean undo, Duration took) {}

    default void changeFailed(Change change, boolean undo, ActivationException failure) {}
}
