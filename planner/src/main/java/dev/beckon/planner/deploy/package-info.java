/**
 * Stage 3, deploy: carries a plan out on the targets in dependency order, undoing what it began when
 * a step fails ({@link dev.beckon.planner.deploy.Deployer}), and the commands built on it: deploy, rollback,
 * recovery of an interrupted deployment ({@link dev.beckon.planner.deploy.Deployments}, the entry point, with
 * GenerationRecorder, InterruptedDeploymentRecovery and Rollbacks behind it).
 *
 * <p>Each step on a target is a value ({@code LockTarget}, {@code Distribute}, {@code LockInstances},
 * {@code Deactivate}, {@code Install}, {@code Reload}, {@code Activate}) whose one method does it and returns the
 * typed {@code Inverse} it pushed on the {@code UndoLog} as it began. {@code RecordGeneration} is the last step and
 * the commit point, so it alone has no inverse.
 */
package dev.beckon.planner.deploy;
