package dev.beckon.models;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a model has errors; carries every one of them, in file order. */
public final class InvalidModelException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> diagnostics;

    InvalidModelException(List<Diagnostic> diagnostics) {
        super(diagnostics.stream().map(Diagnostic::toString).collect(Collectors.joining("\n")));
        this.diagnostics = List.copyOf(diagnostics);
    }

    /** Every problem found, errors and warnings, in file order. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** How many of the diagnostics are errors. */
    public long errorCount() {
        return diagnostics.stream().filter(d -> d.severity() == Diagnostic.Severity.ERROR).count();
    }
}
