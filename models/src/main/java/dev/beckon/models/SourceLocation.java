package dev.beckon.models;

import java.nio.file.Path;

/** A place in a model file, 1-based, as compilers print it. */
public record SourceLocation(Path file, int line, int column) {

    /** Where a problem with a whole file is reported. */
    public static SourceLocation startOf(Path file) {
        return new SourceLocation(file, 1, 1);
    }

    /** Where a problem with a file as a whole (missing, unreadable) is reported: no line. */
    public static SourceLocation wholeFile(Path file) {
        return new SourceLocation(file, 0, 0);
    }

    /** {@code services.toml:4:18}: enough inside a message about the same model. */
    public String inModel() {
        Path name = file.getFileName();
        return line == 0 ? name.toString() : name + ":" + line + ":" + column;
    }

    @Override
    public String toString() {
        return line == 0 ? file.toString() : file + ":" + line + ":" + column;
    }
}
