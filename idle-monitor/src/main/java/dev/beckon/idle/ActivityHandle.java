package dev.beckon.idle;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One activity's handle. It is its own once-only flag (an {@code AtomicBoolean}) rather than
 * holding one, so that beginning costs one small object; the plain read first keeps a repeated
 * close from paying for the atomic swap.
 */
final class ActivityHandle extends AtomicBoolean implements IdleMonitor.Activity {
    private static final long serialVersionUID = 1L;
    private final transient ActivityCounter counter;

    ActivityHandle(ActivityCounter counter) {
        this.counter = counter;
    }

    @Override
    public void close() {
        if (!get() && compareAndSet(false, true)) {
            counter.end();
        }
    }
}
