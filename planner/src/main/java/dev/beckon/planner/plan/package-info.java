/**
 * Stage 2, plan: the desired manifest against the recorded one and the live state of each target
 * ({@link dev.beckon.planner.plan.Inspector}), giving an immutable {@link dev.beckon.planner.plan.Plan} of
 * {@link dev.beckon.planner.plan.Change}s in dependency order; its text and JSON renderings, and the status
 * report. Plans are data: nothing here changes a target.
 */
package dev.beckon.planner.plan;
