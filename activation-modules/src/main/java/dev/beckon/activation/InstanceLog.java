package dev.beckon.activation;

import java.util.List;

/**
 * Lines of an instance's log, as {@code beckon logs} shows them, and where to read on from.
 *
 * @param lines the lines, oldest first, printable
 * @param position where the next read begins, to pass back to {@link ModuleSession#log}: a journal cursor,
 *     an offset in a log file; empty when nothing was read yet, and then the next read returns every line
 *     there is by then (up to its limit)
 * @param note what the user should know when there are no lines to show ({@code "no server has run yet"});
 *     empty otherwise
 */
public record InstanceLog(List<String> lines, String position, String note) {
    public InstanceLog {
        lines = lines == null ? List.of() : List.copyOf(lines);
        position = position == null ? "" : position;
        note = note == null ? "" : note;
    }
}
