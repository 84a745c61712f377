/**
 * Targets over SSH: one ControlMaster connection per target, beckon's runtime copied into the
 * target's store by hash, and the agent on the target that runs module sessions there for the coordinator.
 */
package dev.beckon.planner.target.ssh;
