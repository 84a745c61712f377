package dev.beckon.models;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How long a deployment waits for the {@code lock} of an external module's instance on a target: the container
 * setting {@code lock-timeout} ({@code [targets.T.containers.MODULE] lock-timeout = "2m"}). A module's lock may
 * take that long, or answer "not now" (exit 75) and be asked again until then; past it the deployment fails and
 * is undone. A container setting, since the lock is the module's verb: every instance of that module there waits
 * as long.
 */
public final class LockTimeout {
    /** The container setting's name. */
    public static final String KEY = "lock-timeout";
    public static final Duration DEFAULT = Duration.ofSeconds(60);
    /** Longer than this, a deployment would seem to hang; a module that needs more drains in the background. */
    public static final Duration MOST = Duration.ofHours(1);

    private LockTimeout() {}

    /** What is wrong with a written {@code lock-timeout}, in words for the model's error; empty when it is fine. */
    public static Optional<String> problem(String text) {
        try {
            Duration duration = Durations.parse(text);
            return duration.compareTo(MOST) > 0
                    ? Optional.of(KEY + " " + Messages.quote(text) + " is longer than " + Durations.format(MOST) + ", the most beckon waits")
                    : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(KEY + ": " + e.getMessage());
        }
    }

    /** The container's lock timeout: its setting (validated when the model was read), else {@link #DEFAULT}. */
    public static Duration of(Map<String, String> containerSettings) {
        String text = containerSettings.get(KEY);
        return text == null || problem(text).isPresent() ? DEFAULT : Durations.parse(text);
    }
}
