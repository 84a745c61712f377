package dev.beckon.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Problems collected while reading a model, so that one run reports all of them at once instead of
 * stopping at the first.
 */
final class Diagnostics {
    private final List<Diagnostic> found = new ArrayList<>();

    void error(SourceLocation where, String message) {
        found.add(new Diagnostic(Diagnostic.Severity.ERROR, where, message));
    }

    void warning(SourceLocation where, String message) {
        found.add(new Diagnostic(Diagnostic.Severity.WARNING, where, message));
    }

    boolean hasErrors() {
        return found.stream().anyMatch(d -> d.severity() == Diagnostic.Severity.ERROR);
    }

    /** In file order, so the output reads top to bottom like the files themselves. */
    List<Diagnostic> sorted() {
        List<Diagnostic> copy = new ArrayList<>(found);
        copy.sort(Comparator.comparing((Diagnostic d) -> d.location().file().toString())
                .thenComparingInt(d -> d.location().line())
                .thenComparingInt(d -> d.location().column()));
        return List.copyOf(copy);
    }
}
