package dev.beckon.idle;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches a monitored process for idleness on a daemon thread of its own, and begins its ending
 * once nothing was active for the idle timeout (or, for one inherited connection, once it is
 * served). The check that ends it pauses the gate first and looks again, so that no connection is
 * accepted and then dropped.
 */
final class IdleWatcher {
    private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_POLL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final IdleMonitor.Mode mode;
    private final Duration idleTimeout;
    private final ActivityCounter counter;
    private final AcceptGate gate;
    private final ProcessEnding ending;

    private IdleWatcher(IdleMonitor.Mode mode, Duration idleTimeout, ActivityCounter counter, AcceptGate gate,
            ProcessEnding ending) {
        this.mode = mode;
        this.idleTimeout = idleTimeout;
        this.counter = counter;
        this.gate = gate;
        this.ending = ending;
    }

    /**
     * Starts what a monitor runs beside the application: the watchdog pings when asked for, the
     * watcher when the process ends by itself, and the SIGTERM drain unless the application handles
     * SIGTERM itself.
     */
    static void start(IdleMonitor.Mode mode, Duration idleTimeout, ActivityCounter counter, AcceptGate gate,
            ProcessEnding ending, Notifier notifier, Duration watchdogTimeout, boolean handleSigterm) {
        if (watchdogTimeout != null) {
            notifier.pingEvery(watchdogTimeout.dividedBy(2));
        }
        boolean endsWhenIdle = mode == IdleMonitor.Mode.CONNECTION
                || (mode != IdleMonitor.Mode.STANDALONE && !idleTimeout.isZero());
        if (!endsWhenIdle) {
            if (handleSigterm) {
                takeOverSigterm(ending);
            }
            return;
        }
        IdleWatcher watcher = new IdleWatcher(mode, idleTimeout, counter, gate, ending);
        // Anonymous classes rather than lambdas, here and on the whole start-up path: the first
        // lambda costs a JVM several milliseconds, which an on-demand service pays on every start.
        Thread thread = new Thread(new Runnable() {
            @Override
            public void run() {
                if (handleSigterm) {
                    // Here rather than in start(): installing it costs tens of milliseconds of
                    // class loading that the first connection would wait for. Until it is in
                    // place (a few milliseconds after start-up) SIGTERM gets the JVM's default.
                    takeOverSigterm(ending);
                }
                watcher.watch();
            }
        }, "beckon-idle-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private static void takeOverSigterm(ProcessEnding ending) {
        if (!Sigterm.handle(new Runnable() {
            @Override
            public void run() {
                ending.begin("SIGTERM");
            }
        })) {
            Log.warning("cannot take over SIGTERM on this JVM: a stop request ends the process without draining");
        }
    }

    private void watch() {
        long timeout = idleTimeout.toNanos();
        long poll = mode == IdleMonitor.Mode.CONNECTION
                ? MIN_POLL_NANOS : Math.max(MIN_POLL_NANOS, Math.min(MAX_POLL_NANOS, timeout / 4));
        long mark = -1;
        long idleSince = 0;
        boolean warnedAboutAccounting = false;
        while (!ending.begun()) {
            long now = System.nanoTime();
            long current = counter.idleMark();
            if (current < 0) {
                if (!warnedAboutAccounting && counter.endedMoreThanBegun()) {
                    warnedAboutAccounting = true;
                    Log.warning("end() was called more often than begin(): the activity count is off, so this process"
                            + " will not end when idle");
                }
                mark = -1;
                LockSupport.parkNanos(poll);
                continue;
            }
            if (current != mark) {
                mark = current;
                idleSince = now;
            }
            long remaining = idleSince + timeout - now;
            if (remaining > 0) {
                // Short naps rather than the whole rest: an activity that comes and goes meanwhile
                // restarts the clock, and must be seen soon after it ends.
                LockSupport.parkNanos(Math.min(remaining, poll));
                continue;
            }
            if (stopAcceptingIfStillIdle(mark)) {
                ending.begin(mode == IdleMonitor.Mode.CONNECTION
                        ? "connection served" : "idle for " + DurationText.format(idleTimeout));
                return;
            }
            mark = -1;
        }
    }

    /**
     * Pauses the gate, then looks again: a connection taken before the pause was counted under the
     * gate's lock, so it shows here; one still in a backlog would be served sooner by this process
     * than by a new one.
     */
    private boolean stopAcceptingIfStillIdle(long mark) {
        if (!gate.pause()) {
            return false;
        }
        boolean stillIdle = counter.idleMark() == mark;
        if (stillIdle) {
            try {
                stillIdle = !gate.backlogPending();
            } catch (IOException e) {
                // Exiting is still safe: whatever waits in the backlog starts the next process.
                Log.warning("cannot look for waiting connections before ending: " + e);
            }
        }
        if (!stillIdle) {
            gate.resume();
            return false;
        }
        // Stays paused, not closed: closing ends the application's accept loop, which must wait
        // until the non-daemon shutdown thread runs (see ProcessEnding.begin).
        return true;
    }
}
