package dev.beckon.planner.deploy;

import dev.beckon.activation.InstanceStatus;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.plan.Inspector;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.TargetSessions;
import java.util.Map;

/** The targets one command works on, and how it deploys to them: how many at once, and what stops it. */
final class ProfileTargets {
    /** One session per target for the whole command: a plan and the deployment after it share a connection. */
    private final TargetSessions sessions;
    private final Map<String, String> environment;
    /** How many targets a deployment works on at once. */
    private int parallel = Deployments.DEFAULT_PARALLEL;
    /** What stops this command's deployments: the first Ctrl-C or SIGTERM, when the command line asks it to. */
    private Cancellation cancellation = Cancellation.NEVER;
    /** How long SSH targets wait to be confirmed after activation before they put themselves back. */
    private java.time.Duration confirmTimeout = Deployer.DEFAULT_CONFIRM_TIMEOUT;

    ProfileTargets(TargetSessions sessions, Map<String, String> environment) {
        this.sessions = sessions;
        this.environment = environment;
    }

    TargetSessions sessions() {
        return sessions;
    }

    Map<String, String> environment() {
        return environment;
    }

    void parallel(int targets) {
        this.parallel = targets;
    }

    int parallel() {
        return parallel;
    }

    void confirmTimeout(java.time.Duration timeout) {
        this.confirmTimeout = timeout;
    }

    void cancellation(Cancellation cancellation) {
        this.cancellation = cancellation;
    }

    /** A deployer for this command's targets, reporting to {@code events}. */
    Deployer deployer(DeployEvents events) {
        return new Deployer(sessions, events, parallel, cancellation).confirmTimeout(confirmTimeout);
    }

    /** What the targets report for each instance of a manifest. */
    Map<String, InstanceStatus> live(Manifest manifest) throws PlanningException {
        return inspector().live(manifest);
    }

    /** Asks as many targets at once as a deployment works on. */
    Inspector inspector() {
        return new Inspector(sessions, parallel);
    }
}
