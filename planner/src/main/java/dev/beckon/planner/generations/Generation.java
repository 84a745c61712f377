package dev.beckon.planner.generations;

import java.time.Instant;
import java.util.Objects;

/**
 * One recorded deployment of a profile.
 *
 * @param number  the generation number, starting at 1; numbers are never reused, not even after a generation is deleted
 * @param time    when it was recorded, to the second (git keeps commit times in whole seconds)
 * @param user    who deployed it
 * @param message the message given when it was recorded, or {@code "generation N"} when none was given
 * @param commit  the id of the git commit that holds it, in hex
 * @param current whether it is the profile's current generation, the one the targets run
 */
public record Generation(int number, Instant time, String user, String message, String commit, boolean current) {

    /** Checks that the generation is well formed; every field but {@code current} must be present. */
    public Generation {
        if (number < 1) {
            throw new IllegalArgumentException("a generation number starts at 1, got " + number);
        }
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(commit, "commit");
    }
}
