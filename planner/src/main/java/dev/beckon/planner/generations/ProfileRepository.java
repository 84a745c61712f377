package dev.beckon.planner.generations;

import dev.beckon.planner.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.eclipse.jgit.api.errors.InvalidRefNameException;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Opens a profile's bare repository, creating it when its directory is missing or empty, and refuses a directory
 * that holds anything else: another profile's repository, a foreign git repository or other files.
 */
final class ProfileRepository {
    static final String CONFIG_SECTION = "beckon";
    static final String CONFIG_PROFILE = "profile";

    private static final String DESCRIPTION = "beckon profile '%s': one commit per successful deployment on branch"
            + " 'generations', tagged generation-N; refs/beckon/current is the deployed one. Written by beckon only;"
            + " inspect it with git log, git tag, git show generation-N:manifest.json.%n";

    /** An opened repository and its directory as a real path, so every alias of it shares one lock. */
    record Opened(Path directory, Repository repository) {
    }

    private ProfileRepository() {
    }

    /** See {@link Generations#open}. */
    static Opened open(Path directory, String profile) throws GenerationsException {
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
            Path real = absolute.toRealPath();
            return new Opened(real, attach(real, profile));
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
            initialise(staging, profile);
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

    private static void initialise(Path gitDirectory, String profile) throws IOException {
        FileRepositoryBuilder builder = new FileRepositoryBuilder().setGitDir(gitDirectory.toFile()).setBare();
        try {
            builder.setInitialBranch(GenerationHistory.BRANCH.substring(Constants.R_HEADS.length()));
        } catch (InvalidRefNameException e) {
            throw new IllegalStateException("the branch name " + GenerationHistory.BRANCH + " is rejected by JGit (this is a bug)", e);
        }
        try (Repository created = builder.build()) {
            created.create(true);
            StoredConfig config = created.getConfig();
            config.setString(CONFIG_SECTION, null, CONFIG_PROFILE, profile);
            config.setString("core", null, "logAllRefUpdates", "always");
            config.setBoolean("core", null, "fsyncRefFiles", true);
            config.save();
        }
        Files.writeString(gitDirectory.resolve("description"), String.format(DESCRIPTION, profile), StandardCharsets.UTF_8);
    }

    private static Repository attach(Path directory, String profile) {
        Repository repository;
        try {
            repository = new FileRepositoryBuilder().setGitDir(directory.toFile()).setMustExist(true).build();
        } catch (RepositoryNotFoundException e) {
            throw new NotAProfileRepositoryException(directory, profile, describeForeignDirectory(directory));
        } catch (IOException | IllegalArgumentException e) {
            throw new GenerationsException(directory, "cannot be opened as a git repository: " + e.getMessage(), e);
        }
        String recorded = repository.getConfig().getString(CONFIG_SECTION, null, CONFIG_PROFILE);
        if (recorded == null || !recorded.equals(profile)) {
            repository.close();
            throw new NotAProfileRepositoryException(directory, profile, recorded == null
                    ? "it is a git repository, but not one beckon made (its config has no " + CONFIG_SECTION + "." + CONFIG_PROFILE + ")"
                    : "it is the repository of beckon profile '" + recorded + "'");
        }
        return repository;
    }

    private static String describeForeignDirectory(Path directory) {
        if (Files.exists(directory.resolve(Constants.DOT_GIT))) {
            return "it is the work tree of another git repository";
        }
        try (Stream<Path> entries = Files.list(directory)) {
            List<String> names = entries.map(entry -> entry.getFileName().toString()).sorted().collect(Collectors.toList());
            String shown = names.stream().limit(5).collect(Collectors.joining(", ")) + (names.size() > 5 ? ", ..." : "");
            return "it is not empty and holds no git repository (it contains " + shown + ")";
        } catch (IOException e) {
            return "it is not empty and holds no git repository";
        }
    }

    private static void requireProfileName(String profile) {
        if (profile == null || profile.isBlank() || profile.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a profile name must be non-blank text on one line, got '" + profile + "'");
        }
    }
}
