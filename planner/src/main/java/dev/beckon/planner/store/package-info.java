/**
 * The content-addressed store on each target ({@code STATE_DIR/store/HASH-NAME}), the roots that keep
 * entries alive per profile, and garbage collection of generations and the entries only they used.
 */
package dev.beckon.planner.store;
