package dev.beckon.planner.deploy;

import java.util.Optional;

/**
 * A request to stop a deployment, as the first Ctrl-C or SIGTERM makes it: no new step begins, the
 * running ones finish, and what was done is undone. Safe to request from any thread.
 */
public final class Cancellation {
    /** For deployments nothing can stop but a failure. */
    public static final Cancellation NEVER = new Cancellation();

    private volatile String reason;

    /** Asks the deployment to stop; {@code why} says what asked, for its error: "SIGINT". */
    public void request(String why) {
        if (this == NEVER) {
            throw new IllegalStateException("Cancellation.NEVER cannot be requested");
        }
        if (reason == null) {
            reason = why;
        }
    }

    /** What asked the deployment to stop, once something did. */
    public Optional<String> requested() {
        return Optional.ofNullable(reason);
    }
}
