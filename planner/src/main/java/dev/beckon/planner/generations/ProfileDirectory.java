package dev.beckon.planner.generations;

import dev.beckon.planner.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A profile's directory, made ready for its repository: created (repository and all) when missing or empty, refused
 * when it is a file. Nothing here starts JGit unless a repository is made, so a command that finds the current
 * generation noted ({@link CurrentRecord}) opens the profile without it.
 */
final class ProfileDirectory {
    private ProfileDirectory() {
    }

    /**
     * The profile's directory as a real path, so every alias of it shares one lock, with a new repository made in it
     * when it was missing or empty. See {@link Generations#open}.
     */
    static Path prepare(Path directory, String profile) throws GenerationsException {
        Objects.requireNonNull(directory, "directory");
        requireProfileName(profile);
        Path absolute = directory.toAbsolutePath().normalize();
        try {
            if (Files.exists(absolute)) {
                // A symlinked profile directory is renamed over by its target, not by replacing the link.
                absolute = absolute.toRealPath();
                if (!Files.isDirectory(absolute)) {
                    throw new NotAProfileRepositoryException(absolute, profile, "it is a file, not a directory");
                }
            }
            if (isMissingOrEmpty(absolute)) {
                create(absolute, profile);
            }
            return absolute.toRealPath();
        } catch (dev.beckon.activation.SafeDirectories.UnsafePathException e) {
            throw new GenerationsException(absolute, e.getMessage(), e);
        } catch (IOException e) {
            throw new GenerationsException(absolute, "cannot open it: " + e, e);
        }
    }


    private static boolean isMissingOrEmpty(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return true;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        }
    }

    private static void create(Path directory, String profile) throws IOException {
        Path parent = directory.getParent();
        dev.beckon.activation.SafeDirectories.ensure(parent);
        // createTempDirectory makes it private (0700 on POSIX): manifests may carry settings not meant for everyone.
        Path staging = Files.createTempDirectory(parent, "." + directory.getFileName() + ".creating-");
        try {
            ProfileRepository.initialise(staging, profile);
            try {
                // rename(2) also replaces an empty directory, so an existing empty profile directory is taken over.
                Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (isMissingOrEmpty(directory)) {
                    throw e;
                }
                // Another process created the profile first; its repository is checked by attach like any other.
            }
        } finally {
            Store.deleteTree(staging);
        }
    }

    private static void requireProfileName(String profile) {
        if (profile == null || profile.isBlank() || profile.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a profile name must be non-blank text on one line, got '" + profile + "'");
        }
    }
}
