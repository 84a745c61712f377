/**
 * The targets: one {@link dev.beckon.planner.target.TargetSession} per target for a command, local
 * (modules in this process) or over SSH (the {@code ssh} sub-package: a connection and beckon's agent on
 * the target). Everything that reaches a target goes through here.
 */
package dev.beckon.planner.target;
