package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Cancellation;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM during a command that changes targets. The first asks the deployment to
 * stop: no new step begins, the running ones finish, what was done is undone, and the command exits 1 (3
 * when it could not all be undone). The second exits at once, exit code 3, leaving the deployment's journal
 * for the next command to recover from. The JVM's own handlers are back once it is closed.
 */
final class Interrupts implements AutoCloseable {
    /** The exit code of a second signal: the targets may be in between, as after a failed undo. */
    static final int EXIT_AT_ONCE = 3;

    private final Cancellation cancellation = new Cancellation();
    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private final PrintWriter err;
    private final String profile;
    private int received;

    private Interrupts(PrintWriter err, String profile) {
        this.err = err;
        this.profile = profile;
    }

    /** Takes over SIGINT and SIGTERM until closed; where the JVM keeps them ({@code -Xrs}), its defaults stay. */
    static Interrupts install(PrintWriter err, String profile) {
        Interrupts interrupts = new Interrupts(err, profile);
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal signal = new Signal(name);
                interrupts.previous.put(signal, Signal.handle(signal, interrupts::received));
            } catch (IllegalArgumentException kept) {
                // This JVM does not let the signal be handled: its default (exit) stays.
            }
        }
        return interrupts;
    }

    Cancellation cancellation() {
        return cancellation;
    }

    private synchronized void received(Signal signal) {
        received++;
        if (received == 1) {
            cancellation.request("SIG" + signal.getName());
            err.println("beckon: SIG" + signal.getName() + ": the running steps finish, then what was done is undone."
                    + " A second signal exits at once and leaves the targets to the next beckon command on profile " + profile + ".");
            err.flush();
            return;
        }
        err.println("beckon: SIG" + signal.getName() + " again: exiting at once. The deployment's journal is kept; the next"
                + " beckon command on profile " + profile + " brings the targets back.");
        err.flush();
        Runtime.getRuntime().halt(EXIT_AT_ONCE);
    }

    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
