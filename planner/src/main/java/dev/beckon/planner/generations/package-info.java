/**
 * The generations of a profile: every successful deployment recorded as a commit in a git repository on the
 * deploying machine, with a pointer to the one the targets run, for {@code beckon generations}, {@code rollback}
 * and {@code gc}. {@link dev.beckon.planner.generations.Generations} is the entry point; it reads and writes through
 * JGit ({@link dev.beckon.planner.generations.GitGenerations}) only once a method needs the repository, and answers
 * the current manifest from {@link dev.beckon.planner.generations.CurrentRecord} while that describes it exactly.
 */
package dev.beckon.planner.generations;
