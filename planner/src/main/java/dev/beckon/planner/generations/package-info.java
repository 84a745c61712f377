/**
 * The generations of a profile: every successful deployment recorded as a commit in a git repository on the
 * deploying machine, with a pointer to the one the targets run, for {@code beckon generations}, {@code rollback}
 * and {@code gc}. {@link dev.beckon.planner.generations.Generations} is the entry point.
 */
package dev.beckon.planner.generations;
