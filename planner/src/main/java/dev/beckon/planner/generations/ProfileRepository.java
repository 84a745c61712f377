package dev.beckon.planner.generations;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.eclipse.jgit.api.errors.InvalidRefNameException;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * A profile's bare repository through JGit: made in a directory {@link ProfileDirectory} prepared, and opened only
 * when it is this profile's, refusing another profile's repository, a foreign git repository or other files.
 */
final class ProfileRepository {
    private ProfileRepository() {
    }

    static final String CONFIG_SECTION = "beckon";
    static final String CONFIG_PROFILE = "profile";

    private static final String DESCRIPTION = "beckon profile '%s': one commit per successful deployment on branch"
            + " 'generations', tagged generation-N; refs/beckon/current is the deployed one. Written by beckon only;"
            + " inspect it with git log, git tag, git show generation-N:manifest.json.%n";

    static void initialise(Path gitDirectory, String profile) throws IOException {
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

    /** Opens the profile's repository in {@code directory} (a real path), refusing one that is not this profile's. */
    static Repository attach(Path directory, String profile) {
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

}
