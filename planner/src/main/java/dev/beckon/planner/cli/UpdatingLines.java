package dev.beckon.planner.cli;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

/**
 * Progress on a terminal: one line per key (a target), rewritten in place as its work goes on, with lines that
 * stay (notices, failures) printed below them. It moves the cursor up to a key's line and back with ANSI escapes,
 * so it is only for a terminal (see {@link TerminalStyle#updatingLines()}). A line longer than the terminal is cut,
 * since a wrapped line would put every later move one row off. Safe to call from several threads.
 */
final class UpdatingLines {
    private final PrintWriter out;
    private final int width;
    /** The row (counted from the first line printed) each key's line is on. */
    private final Map<String, Integer> rows = new HashMap<>();
    private int printed;

    UpdatingLines(PrintWriter out, int width) {
        this.out = out;
        this.width = width;
    }

    /** Shows {@code text} as key's line: a new line below the others the first time, else in place of the old one. */
    synchronized void update(String key, String text) {
        String line = fitted(text);
        Integer row = rows.get(key);
        if (row == null) {
            rows.put(key, printed);
            permanentLine(line);
            return;
        }
        int up = printed - row;
        out.print("\r\033[" + up + "A\033[2K" + line + "\r\033[" + up + "B");
        out.flush();
    }

    /** Prints text that stays, below every line so far. */
    synchronized void permanent(String text) {
        text.lines().forEach(this::permanentLine);
    }

    private void permanentLine(String line) {
        out.print(line + "\n");
        out.flush();
        printed++;
    }

    /** Cut to the width; escape sequences (colour) take no column, and are never cut in half. */
    private String fitted(String text) {
        String flat = text.replace('\n', ' ');
        StringBuilder kept = new StringBuilder();
        int columns = 0;
        for (int i = 0; i < flat.length(); i++) {
            char c = flat.charAt(i);
            if (c == '\033') {
                int end = flat.indexOf('m', i);
                if (end < 0) {
                    break;
                }
                kept.append(flat, i, end + 1);
                i = end;
                continue;
            }
            if (columns == width - 1) {
                kept.append("\033[0m");
                break;
            }
            kept.append(c);
            columns++;
        }
        return kept.toString();
    }
}
