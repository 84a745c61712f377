package dev.beckon.planner.generations;

import java.nio.file.Path;

/**
 * {@link Generations#open} was pointed at a directory that is neither empty nor a repository of the profile asked
 * for: a directory of other files, another git repository, or another profile's repository. Nothing in the
 * directory was changed.
 */
public final class NotAProfileRepositoryException extends GenerationsException {
    private static final long serialVersionUID = 1L;

    NotAProfileRepositoryException(Path directory, String profile, String reason) {
        super(directory + " is not the repository of beckon profile '" + profile + "': " + reason
                + "; nothing in it was changed (point beckon at an empty or missing directory to start a new profile)", directory);
    }
}
