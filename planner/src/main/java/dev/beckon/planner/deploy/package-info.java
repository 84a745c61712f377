/**
 * Stage 3, deploy: carries a plan out on the targets in dependency order, undoing what it began when
 * a step fails ({@link dev.beckon.planner.deploy.Deployer}), and the commands built on it: deploy, rollback,
 * recovery of an interrupted deployment ({@link dev.beckon.planner.deploy.Deployments}, the entry point, with
 * GenerationRecorder, InterruptedDeploymentRecovery and Rollbacks behind it).
 */
package dev.beckon.planner.deploy;
