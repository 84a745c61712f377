package dev.beckon.idle;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The most connections a monitored process holds at once ({@code BECKON_MAX_CONNECTIONS}, else
 * {@link IdleMonitor.Builder#maxConnections}). A connection takes a place when the gate accepts it or
 * a framework {@link IdleMonitor#admit() admits} it, and gives it back when it ends. At the bound the
 * gate accepts nothing, so further clients wait in the kernel's backlog of the listening socket.
 *
 * <p>The count is one atomic integer: taking and giving a place costs one CAS. Waiting happens on
 * the gate's lock, which a give notifies only when it frees the place of a full bound, so an end
 * below the bound never takes a lock.
 */
final class ConnectionBound {
    /** The value of {@link #max} without a bound. */
    private static final int NONE = 0;

    private final int max;
    private final AtomicInteger held = new AtomicInteger();
    /** The gate's lock, whose waiters are woken when a place frees at the bound. */
    private final Object lock;

    ConnectionBound(int max, Object lock) {
        this.max = max;
        this.lock = lock;
    }

    /**
     * The bound the environment sets, else {@code fallback}.
     *
     * @throws IllegalStateException naming the variable and its value when it is not a count
     */
    static int fromEnvironment(Map<String, String> environment, int fallback) {
        String value = environment.get(IdleMonitor.MAX_CONNECTIONS_VARIABLE);
        if (value == null) {
            return fallback;
        }
        // Hand-written, as DurationText: no regex class loading on a cold start.
        long parsed = value.isEmpty() || value.length() > 10 ? -1 : 0;
        for (int i = 0; i < value.length() && parsed >= 0; i++) {
            char c = value.charAt(i);
            parsed = c >= '0' && c <= '9' ? parsed * 10 + (c - '0') : -1;
        }
        if (parsed < 0 || parsed > Integer.MAX_VALUE) {
            throw new IllegalStateException(IdleMonitor.MAX_CONNECTIONS_VARIABLE + "=" + DurationText.quote(value)
                    + " is not a number of connections; write a whole number such as 500, or 0 for no bound");
        }
        return (int) parsed;
    }

    /** The bound; 0 when there is none. */
    int max() {
        return max;
    }

    boolean bounded() {
        return max != NONE;
    }

    /** Takes a place when one is free; always, without a bound. */
    boolean tryTake() {
        if (max == NONE) {
            return true;
        }
        while (true) {
            int now = held.get();
            if (now >= max) {
                return false;
            }
            if (held.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Takes a place whether or not one is free: for a connection already taken from the kernel by a process that is ending. */
    void takeAnyway() {
        if (max != NONE) {
            held.incrementAndGet();
        }
    }

    /**
     * Gives a place back, and wakes the gate's waiters when the bound was full. Never below zero:
     * an {@code end()} for an activity that took no place (see {@link IdleMonitor#end()}) frees none.
     */
    void give() {
        if (max == NONE) {
            return;
        }
        while (true) {
            int now = held.get();
            if (now == 0) {
                return;
            }
            if (held.compareAndSet(now, now - 1)) {
                if (now >= max) {
                    synchronized (lock) {
                        lock.notifyAll();
                    }
                }
                return;
            }
        }
    }

    /** Connections holding a place now; for messages and tests. */
    int held() {
        return held.get();
    }
}
