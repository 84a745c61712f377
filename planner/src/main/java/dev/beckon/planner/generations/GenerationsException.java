package dev.beckon.planner.generations;

import java.nio.file.Path;

/**
 * A profile's generations cannot be read or written: the repository is damaged, unreadable or locked, or the
 * request does not fit what it holds. The message names the repository's directory and what is wrong.
 */
public class GenerationsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path directory;

    /**
     * @param directory the profile repository concerned
     * @param problem   what is wrong, as a phrase that reads well after the directory
     */
    public GenerationsException(Path directory, String problem) {
        this(directory, problem, null);
    }

    /**
     * @param directory the profile repository concerned
     * @param problem   what is wrong, as a phrase that reads well after the directory
     * @param cause     the underlying failure, kept for the stack trace
     */
    public GenerationsException(Path directory, String problem, Throwable cause) {
        super("profile repository " + directory + ": " + problem, cause);
        this.directory = directory;
    }

    /** Constructor for subclasses whose message does not follow the "profile repository DIR: problem" shape. */
    GenerationsException(String message, Path directory) {
        super(message);
        this.directory = directory;
    }

    /** @return the directory of the profile repository concerned */
    public Path directory() {
        return directory;
    }
}
