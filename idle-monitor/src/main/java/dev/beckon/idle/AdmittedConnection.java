package dev.beckon.idle;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The handle of a connection a framework accepted and {@link IdleMonitor#admit() admitted}: closing it
 * frees its place under the bound and ends its activity, once, as {@link ActivityHandle} does.
 */
final class AdmittedConnection extends AtomicBoolean implements IdleMonitor.Activity {
    private static final long serialVersionUID = 1L;
    private final transient ActivityCounter counter;
    private final transient ConnectionBound bound;

    AdmittedConnection(ActivityCounter counter, ConnectionBound bound) {
        this.counter = counter;
        this.bound = bound;
    }

    @Override
    public void close() {
        if (!get() && compareAndSet(false, true)) {
            // The place first: a waiting accept then takes the next client before this one's end
            // can make the process look idle.
            bound.give();
            counter.end();
        }
    }
}
