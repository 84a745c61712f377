package dev.beckon.idle;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * How a monitored process ends, whatever asked for it (idleness, its one connection served,
 * SIGTERM, the application): close the gate, tell systemd {@code STOPPING=1}, stop the frameworks
 * that accept on their own, drain what is active for at most the drain timeout, run the
 * application's shutdown action, flush the notifications and exit with 0. Runs once.
 */
final class ProcessEnding {
    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final Duration NOTIFY_FLUSH_LIMIT = Duration.ofSeconds(2);

    private final AcceptGate gate;
    private final ActivityCounter counter;
    private final Notifier notifier;
    private final Duration drainTimeout;
    private final Runnable onShutdown;
    /** How the process ends; {@code null}: {@code Runtime.exit}. */
    private final IntConsumer exit;
    /** Ends start-up's activity (see {@link IdleMonitor#ready()}): start-up is no work to wait for. */
    private final Runnable startedUp;
    /** What stops the frameworks that accept on their own threads; see {@link IdleMonitor#acceptsOnItsOwn}. */
    private final List<Runnable> stopAccepting = new CopyOnWriteArrayList<>();
    private final AtomicBoolean begun = new AtomicBoolean();

    ProcessEnding(AcceptGate gate, ActivityCounter counter, Notifier notifier, Duration drainTimeout,
            Runnable onShutdown, IntConsumer exit, Runnable startedUp) {
        this.gate = gate;
        this.counter = counter;
        this.notifier = notifier;
        this.drainTimeout = drainTimeout;
        this.onShutdown = onShutdown;
        this.exit = exit;
        this.startedUp = startedUp;
    }

    void addStopAccepting(Runnable stop) {
        stopAccepting.add(stop);
    }

    /** Whether the process is ending, which ends the idle watcher's loop. */
    boolean begun() {
        return begun.get();
    }

    /**
     * Runs the ending on a thread of its own that is not a daemon: once the gate closes, the
     * application's accept loop ends and its main thread may return, and the JVM must not exit
     * before the drain, the shutdown action and {@code STOPPING=1} are done. The watcher and the
     * JVM's signal threads are daemons.
     *
     * @return the thread; {@code null} when the process is already ending
     */
    Thread begin(String reason) {
        if (!begun.compareAndSet(false, true)) {
            return null;
        }
        Thread stopper = new Thread(() -> end(reason), "beckon-idle-shutdown");
        stopper.setDaemon(false);
        stopper.start();
        return stopper;
    }

    private void end(String reason) {
        gate.close();
        startedUp.run();
        // Before the log line: the first log call initialises the logging backend, which takes a while.
        notifier.send(SdNotify.STOPPING);
        for (Runnable framework : stopAccepting) {
            // Before counting what is active: a connection a framework took is counted once this returns.
            try {
                framework.run();
            } catch (RuntimeException | Error e) {
                Log.warning("stopping a framework's accepting failed", e);
            }
        }
        long active = counter.active();
        Log.info(reason + (active > 0 ? "; waiting up to " + DurationText.format(drainTimeout) + " for " + active
                + " active connection" + (active == 1 ? "" : "s") + " or request" + (active == 1 ? "" : "s") : "")
                + "; exiting");
        if (!awaitNothingActive(drainTimeout)) {
            Log.warning(counter.active() + " activities still active after " + DurationText.format(drainTimeout)
                    + " (the drain timeout); exiting anyway");
        }
        if (onShutdown != null) {
            // After the drain: stopping a framework's server closes the connections it still holds.
            try {
                onShutdown.run();
            } catch (RuntimeException | Error e) {
                Log.warning("the application's shutdown action failed", e);
            }
        }
        notifier.flush(NOTIFY_FLUSH_LIMIT);
        if (exit == null) {
            Runtime.getRuntime().exit(0);
        } else {
            exit.accept(0);
        }
    }

    private boolean awaitNothingActive(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (counter.idleMark() < 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(DRAIN_POLL_NANOS);
        }
        return true;
    }
}
