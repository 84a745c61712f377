package dev.beckon.planner.generations;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;

/**
 * Writes a generation's objects into a profile repository, durably, before any ref names them; and clears what a
 * killed writer left. The refs themselves are moved by {@link Generations}, under the profile's lock.
 */
final class GenerationWriter {
    private final Path directory;
    private final String profile;
    private final Repository repository;

    GenerationWriter(Path directory, String profile, Repository repository) {
        this.directory = directory;
        this.profile = profile;
        this.repository = repository;
    }

    ObjectId writeCommit(int number, byte[] manifest, SortedMap<String, byte[]> models, Ref parent, PersonIdent deployer,
            String message) throws IOException {
        List<ObjectId> written = new ArrayList<>();
        ObjectId commitId;
        try (ObjectInserter inserter = repository.newObjectInserter()) {
            TreeFormatter root = new TreeFormatter();
            ObjectId manifestBlob = inserter.insert(Constants.OBJ_BLOB, manifest);
            written.add(manifestBlob);
            root.append(GenerationHistory.MANIFEST_FILE, FileMode.REGULAR_FILE, manifestBlob);
            if (!models.isEmpty()) {
                TreeFormatter modelsTree = new TreeFormatter();
                for (Map.Entry<String, byte[]> model : models.entrySet()) {
                    ObjectId blob = inserter.insert(Constants.OBJ_BLOB, model.getValue());
                    written.add(blob);
                    modelsTree.append(model.getKey(), FileMode.REGULAR_FILE, blob);
                }
                ObjectId modelsId = inserter.insert(modelsTree);
                written.add(modelsId);
                // Git orders a tree's entries by name, a subtree's name with a '/' appended: manifest.json < models/.
                root.append(GenerationHistory.MODELS_DIRECTORY, FileMode.TREE, modelsId);
            }
            ObjectId rootId = inserter.insert(root);
            written.add(rootId);

            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(rootId);
            if (parent != null) {
                commit.setParentId(parent.getObjectId());
            }
            commit.setAuthor(deployer);
            commit.setCommitter(deployer);
            commit.setEncoding(StandardCharsets.UTF_8);
            commit.setMessage(commitMessage(number, profile, message));
            commitId = inserter.insert(commit);
            written.add(commitId);
            inserter.flush();
        }
        syncToDisk(written);
        return commitId;
    }

    /**
     * Makes the new objects durable before any ref names them, so that after a power cut the refs never point at
     * objects that were lost with the page cache. JGit would do this itself with {@code core.fsyncObjectFiles},
     * but git 2.36 and later print a deprecation warning for that key on every command, which operators would see;
     * {@code packed-refs} is always fsynced by JGit, and loose refs are under {@code core.fsyncRefFiles}, which git
     * ignores quietly. Objects that already existed (a manifest deployed before) are synced again, harmlessly.
     */
    private void syncToDisk(List<ObjectId> objects) throws IOException {
        // The builder in attach reads no environment, so no GIT_OBJECT_DIRECTORY moves the objects elsewhere.
        Path objectsDirectory = directory.resolve("objects");
        Set<Path> directories = new LinkedHashSet<>();
        for (ObjectId object : objects) {
            String name = object.name();
            Path file = objectsDirectory.resolve(name.substring(0, 2)).resolve(name.substring(2));
            if (Files.exists(file)) {
                force(file);
                directories.add(file.getParent());
            }
        }
        directories.add(objectsDirectory);
        for (Path fanOut : directories) {
            force(fanOut);
        }
    }

    private static void force(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    static String commitMessage(int number, String profile, String message) {
        String text = message == null || message.isBlank() ? "generation " + number : message.strip();
        return text + "\n\n" + GenerationHistory.GENERATION_TRAILER + ": " + number + "\n" + GenerationHistory.PROFILE_TRAILER + ": " + profile + "\n";
    }

    /**
     * JGit's lock files ({@code NAME.lock}, renamed over {@code NAME} on commit) outlive a killed writer and would
     * make every later write fail. Every beckon writer holds the profile lock while it writes, and this runs under
     * it, so any such file found now was left by a writer that died. A person running a ref-writing git command
     * in the repository at this very moment could lose that write; the repository's description says to leave
     * writing to beckon.
     */
    void removeLockFilesOfDeadWriters() throws IOException {
        List<Path> candidates = new ArrayList<>(List.of(directory.resolve("packed-refs.lock"), directory.resolve("HEAD.lock"),
                directory.resolve("config.lock")));
        Path refs = directory.resolve("refs");
        if (Files.isDirectory(refs)) {
            try (Stream<Path> paths = Files.walk(refs)) {
                paths.filter(path -> path.getFileName().toString().endsWith(".lock")).forEach(candidates::add);
            }
        }
        for (Path candidate : candidates) {
            Files.deleteIfExists(candidate);
        }
    }

    /**
     * Checks the model files' names and orders them as a git tree must list them: by the bytes of their UTF-8
     * names, which differs from {@link String#compareTo} beyond the Basic Multilingual Plane.
     */
    static SortedMap<String, byte[]> checkedModels(Map<String, byte[]> models) {
        SortedMap<String, byte[]> checked = new TreeMap<>(
                (left, right) -> Arrays.compareUnsigned(left.getBytes(StandardCharsets.UTF_8), right.getBytes(StandardCharsets.UTF_8)));
        ObjectChecker git = new ObjectChecker();
        for (Map.Entry<String, byte[]> model : models.entrySet()) {
            String name = model.getKey();
            if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
                throw new IllegalArgumentException("model file name '" + name + "' cannot be stored: models are stored by plain file"
                        + " name, which must not be empty or contain '/'");
            }
            byte[] raw = name.getBytes(StandardCharsets.UTF_8);
            try {
                git.checkPathSegment(raw, 0, raw.length);
            } catch (CorruptObjectException e) {
                throw new IllegalArgumentException("model file name '" + name + "' cannot be stored in git: " + e.getMessage(), e);
            }
            checked.put(name, Objects.requireNonNull(model.getValue(), () -> "content of model file " + name));
        }
        return checked;
    }

    static void requireUser(String user) {
        if (user == null || user.isBlank() || user.chars().anyMatch(c -> Character.isISOControl(c) || c == '<' || c == '>')) {
            throw new IllegalArgumentException("the deploying user must be a non-blank name on one line without '<' or '>', got '"
                    + user + "'");
        }
    }
}
