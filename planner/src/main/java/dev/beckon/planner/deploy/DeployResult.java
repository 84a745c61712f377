package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import java.util.List;
import java.util.Optional;

/**
 * How a deployment ended.
 *
 * @param failure what failed, when something did
 * @param notUndone the changes that could not be put back; empty when every target is as it was
 * @param wavesKept after a failure in a deployment that keeps the waves done: how many waves (of the resolved
 *     waves, from the first) it kept; their targets run the new model, the others what they ran before
 */
public record DeployResult(Outcome outcome, Optional<ActivationException> failure, List<String> notUndone, int wavesKept) {
    /** The three ways a deployment ends; each has its own exit code. */
    public enum Outcome {
        /** Every change is done and verified. */
        DEPLOYED(0),
        /** A change failed and everything done before it was put back. */
        FAILED_AND_UNDONE(1),
        /** A change failed and putting things back failed too: the targets are in between. */
        FAILED_NOT_UNDONE(3),
        /**
         * An SSH target could not be confirmed through a new connection after its activation and put itself back on its
         * own (confirm or roll back); the other targets were undone.
         */
        UNCONFIRMED_ROLLED_BACK(4);

        private final int exitCode;

        Outcome(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    public DeployResult {
        notUndone = List.copyOf(notUndone);
    }

    public DeployResult(Outcome outcome, Optional<ActivationException> failure, List<String> notUndone) {
        this(outcome, failure, notUndone, 0);
    }
}
