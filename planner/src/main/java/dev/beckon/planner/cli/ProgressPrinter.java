package dev.beckon.planner.cli;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.plan.Change;
import dev.beckon.planner.deploy.DeployEvents;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/** Prints a deployment as it happens, one line per target step and per instance. */
final class ProgressPrinter implements DeployEvents {
    private final PrintWriter out;
    private boolean undoAnnounced;

    ProgressPrinter(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void notice(String text) {
        out.println(text);
        out.flush();
    }

    @Override
    public void targetStep(String target, String what) {
        out.println("  [" + target + "] " + what);
        out.flush();
    }

    @Override
    public void changeStarted(Change change, boolean undo) {
        if (undo && !undoAnnounced) {
            undoAnnounced = true;
            out.println("Putting back what was done, in reverse:");
        }
    }

    @Override
    public void changeDone(Change change, boolean undo, Duration took) {
        String verb = undo ? "put back" : switch (change.action()) {
            case ACTIVATE -> "activated";
            case CHANGE -> "changed";
            case DEACTIVATE -> "deactivated";
            case REPLACE -> "replaced";
        };
        out.println("  [" + change.target() + "] " + change.action().symbol() + " " + change.service() + "  " + verb + "  "
                + seconds(took));
        out.flush();
    }

    @Override
    public void changeFailed(Change change, boolean undo, ActivationException failure) {
        out.println("  [" + change.target() + "] " + change.action().symbol() + " " + change.service() + "  "
                + (undo ? "COULD NOT BE PUT BACK: " : "FAILED: ") + failure.describe().replace("\n", "\n      "));
        out.flush();
    }

    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.2f s", duration.toNanos() / 1e9);
    }
}
