package dev.beckon.planner.testing;

import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import java.nio.file.Path;

/** The real target lock, held from tests outside this package, as a concurrent deployment would hold it. */
public final class TargetLocks {
    private TargetLocks() {}

    public static AutoCloseable hold(String target, Path stateDirectory, String profile) throws PlanningException {
        return DeploymentLock.acquire(DeploymentLock.targetLockFile(stateDirectory), "target " + target, profile, "deploy", w -> {});
    }
}
