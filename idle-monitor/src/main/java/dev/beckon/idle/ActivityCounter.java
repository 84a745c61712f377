package dev.beckon.idle;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts begun and ended activities on the hot path with one striped atomic add each, and tells the
 * idle watcher when nothing was active.
 *
 * <p>Two {@link LongAdder}s rather than one counter: an add on a {@code LongAdder} is a single CAS
 * while uncontended, and threads that collide move to cells of their own instead of bouncing one
 * cache line between cores. Their sums are not atomic snapshots, which {@link #idleMark()} accounts
 * for.
 */
final class ActivityCounter {
    private final LongAdder begun = new LongAdder();
    private final LongAdder ended = new LongAdder();

    void begin() {
        begun.increment();
    }

    void end() {
        ended.increment();
    }

    /**
     * The number of activities ever begun, when nothing was active at the moment this call started;
     * -1 when something was (or when {@link #end()} was called more often than {@link #begin()}).
     * Two calls returning the same non-negative mark prove that nothing was active at any moment in
     * between, since every begin changes the mark.
     */
    long idleMark() {
        // Ends first: an end counted here had its begin happen before it, so the begin is counted
        // by the later read of begun. Equal sums then mean every activity begun so far had ended
        // when this call started; an activity begun meanwhile only makes begun larger (busy).
        long endedSoFar = ended.sum();
        long begunSoFar = begun.sum();
        return begunSoFar == endedSoFar ? begunSoFar : -1;
    }

    /** Activities begun and not ended, as far as a moment's look can tell; for messages only. */
    long active() {
        long endedSoFar = ended.sum();
        return begun.sum() - endedSoFar;
    }

    /** Whether {@link #end()} ran more often than {@link #begin()}: the application's accounting is off. */
    boolean endedMoreThanBegun() {
        // Ends first, for the reason given in idleMark(): the other order would count an activity
        // that began and ended between the two reads as an end without a begin.
        long endedSoFar = ended.sum();
        return endedSoFar > begun.sum();
    }
}
