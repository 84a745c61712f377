package dev.beckon.planner.cli;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.plan.Change;
import dev.beckon.planner.deploy.DeployEvents;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Prints a deployment as it happens, one line per target step and per instance; on a terminal, one line per
 * target updated in place instead, and failures below them (see {@link TerminalStyle}).
 */
final class ProgressPrinter implements DeployEvents {
    private final PrintWriter out;
    private final TerminalStyle style;
    /** On a terminal: the targets' lines; {@code null} for plain lines. */
    private final UpdatingLines lines;
    private boolean undoAnnounced;

    ProgressPrinter(PrintWriter out) {
        this(out, TerminalStyle.OF_STANDARD_OUTPUT);
    }

    ProgressPrinter(PrintWriter out, TerminalStyle style) {
        this.out = out;
        this.style = style;
        this.lines = style.updatingLines() ? new UpdatingLines(out, style.width()) : null;
    }

    /** A line about one target: its line on a terminal, a line of its own otherwise. */
    private void targetLine(String target, String text) {
        String line = style.changes("  [" + target + "] " + text);
        if (lines != null) {
            lines.update(target, line);
        } else {
            out.println(line);
            out.flush();
        }
    }

    /** Lines that stay, whatever the output is. */
    private void permanent(String text) {
        if (lines != null) {
            lines.permanent(style.changes(text));
        } else {
            out.println(text);
            out.flush();
        }
    }

    @Override
    public void notice(String text) {
        permanent(text);
    }

    @Override
    public void targetStep(String target, String what) {
        targetLine(target, what);
    }

    @Override
    public void changeStarted(Change change, boolean undo) {
        if (undo && !undoAnnounced) {
            undoAnnounced = true;
            permanent("Putting back what was done, in reverse:");
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
        targetLine(change.target(), change.action().symbol() + " " + change.service() + "  " + verb + "  " + seconds(took));
    }

    @Override
    public void changeFailed(Change change, boolean undo, ActivationException failure) {
        permanent("  [" + change.target() + "] " + change.action().symbol() + " " + change.service() + "  "
                + (undo ? "COULD NOT BE PUT BACK: " : "FAILED: ") + failure.describe().replace("\n", "\n      "));
    }

    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.2f s", duration.toNanos() / 1e9);
    }
}
