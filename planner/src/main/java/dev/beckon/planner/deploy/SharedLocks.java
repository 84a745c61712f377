package dev.beckon.planner.deploy;

import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.generations.SharedProfile;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A command that changes a shared profile (see {@link SharedProfile}) holds the shared repository's lock as well as
 * the profile's own, starts from the shared generations and sends its own back at its end: so operators on several
 * machines deploy the same system in turn and none loses another's generation.
 */
public final class SharedLocks {
    private SharedLocks() {}

    /**
     * When the profile is shared: takes the shared lock for {@code command} and pulls; empty when it is not shared.
     *
     * @throws PlanningException when the shared repository is locked by another operator, cannot be reached, or its
     *                           history diverged from this one; nothing is held then
     */
    static Optional<SharedProfile.Held> takeAndPull(SharedProfile shared, String profile, String command, Consumer<String> notices)
            throws PlanningException {
        if (shared.remote().isEmpty()) {
            return Optional.empty();
        }
        SharedProfile.Held held;
        try {
            held = take(shared, profile, command, notices);
        } catch (GenerationsException e) {
            throw new PlanningException("profile " + profile + ": " + e.getMessage() + ". Nothing was changed.", e);
        }
        try {
            if (shared.pull(false) == SharedProfile.Relation.UPDATED) {
                notices.accept("Profile " + profile + ": took the newer generations of " + shared.remote().get() + ".");
            }
            return Optional.of(held);
        } catch (GenerationsException e) {
            try {
                held.close();
            } catch (GenerationsException release) {
                e.addSuppressed(release);
            }
            throw new PlanningException("profile " + profile + ": " + e.getMessage() + ". Nothing was changed.", e);
        }
    }

    /** Takes the shared lock, as a deployment lock: named by its holder, taken over when that holder is gone from this host. */
    public static SharedProfile.Held take(SharedProfile shared, String profile, String command, Consumer<String> notices) {
        return shared.lock(DeploymentLock.Holder.ofThisProcess(profile, command).write(), SharedLocks::describe,
                line -> holder(line).flatMap(DeploymentLock.Holder::alive).map(alive -> !alive).orElse(false), notices);
    }

    /** At the command's end: sends what it recorded to the shared repository, then releases the shared lock. */
    static void pushAndRelease(SharedProfile shared, SharedProfile.Held held, String profile) throws PlanningException {
        // Behind (the shared repository got generations meanwhile, its lock broken) leaves nothing of this command unshared.
        try (held) {
            shared.push();
        } catch (GenerationsException e) {
            throw new PlanningException("profile " + profile + ": what this command recorded is kept here but not shared: " + e.getMessage()
                    + "; `beckon profile push` sends it", e);
        }
    }

    /** A holder line for people, or the line itself when it is not one beckon wrote. */
    public static String describe(String line) {
        return holder(line).map(DeploymentLock.Holder::describe).orElse(line);
    }

    private static Optional<DeploymentLock.Holder> holder(String line) {
        try {
            return Optional.of(DeploymentLock.Holder.read(line, Path.of(SharedProfile.class.getSimpleName())));
        } catch (PlanningException e) {
            return Optional.empty();
        }
    }
}
