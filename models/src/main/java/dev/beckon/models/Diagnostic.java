package dev.beckon.models;

/**
 * One problem found in a model, printed compiler style: {@code FILE:LINE:COLUMN: error: MESSAGE}.
 */
public record Diagnostic(Severity severity, SourceLocation location, String message) {

    /** How bad a problem is: errors make a model invalid, warnings do not. */
    public enum Severity {
        ERROR("error"),
        WARNING("warning");

        private final String label;

        Severity(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    @Override
    public String toString() {
        return location + ": " + severity + ": " + message;
    }
}
