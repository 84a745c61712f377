/**
 * Runtime knobs on the planner's side: the knob region's layout, how a deployment makes and carries it over
 * ({@link dev.beckon.planner.knobs.KnobRegion}), and how a plan names a change of knobs ({@link dev.beckon.planner.knobs.KnobChanges}).
 */
package dev.beckon.planner.knobs;
