package dev.beckon.planner.generations;

import dev.beckon.planner.state.ProfileLock;
import dev.beckon.planner.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.eclipse.jgit.api.errors.InvalidRefNameException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The deployment history of one profile, kept as a bare git repository on the deploying machine.
 *
 * <p>Every successful deployment is one commit on the branch {@code generations}, whose tree holds
 * {@code manifest.json} (the resolved manifest) and {@code models/NAME} (each model file as deployed). Its author
 * and committer are the deploying user at the time of recording; its message is the deployment's message followed
 * by the trailers {@code Beckon-Generation: N} and {@code Beckon-Profile: NAME}. The commit is tagged
 * {@code generation-N} (a lightweight tag). A generation is kept while its tag exists; {@link #delete} drops the
 * tag and leaves the commit in the branch's history, which stays an append-only log of what was deployed.
 *
 * <p>Which generation the targets run is the ref {@code refs/beckon/current}, a pointer moved by
 * {@link #record} and {@link #makeCurrent}, as in a Nix profile: it is not the branch tip, so rolling back never
 * rewrites history and the next recorded generation still numbers past the highest ever recorded. With
 * {@code core.logAllRefUpdates=always}, the reflog of {@code refs/beckon/current} tells when each rollback happened.
 *
 * <p>Operators inspect it with plain git: {@code git -C DIR log}, {@code git -C DIR tag},
 * {@code git -C DIR show generation-3:manifest.json}, {@code git -C DIR reflog refs/beckon/current}. It should
 * only be written through this class, which serialises writers with a lock file (see {@link ProfileLock}).
 *
 * <p>Every method but {@link #close} holds the profile's lock while it runs, so one instance may be shared by
 * threads, and several processes may use the same repository. Failures to read or write the repository are
 * {@link GenerationsException}s naming its directory.
 */
public final class Generations implements AutoCloseable {
    static final String BRANCH = Constants.R_HEADS + "generations";
    static final String CURRENT_REF = "refs/beckon/current";
    static final String TAG_PREFIX = Constants.R_TAGS + "generation-";
    static final String MANIFEST_FILE = "manifest.json";
    static final String MODELS_DIRECTORY = "models";
    static final String GENERATION_TRAILER = "Beckon-Generation";
    static final String PROFILE_TRAILER = "Beckon-Profile";
    static final String CONFIG_SECTION = "beckon";
    static final String CONFIG_PROFILE = "profile";

    private static final Pattern GENERATION_TAG = Pattern.compile(Pattern.quote(TAG_PREFIX) + "([1-9][0-9]{0,8})");
    private static final Duration LOCK_PATIENCE = Duration.ofSeconds(30);
    private static final String DESCRIPTION = "beckon profile '%s': one commit per successful deployment on branch"
            + " 'generations', tagged generation-N; refs/beckon/current is the deployed one. Written by beckon only;"
            + " inspect it with git log, git tag, git show generation-N:manifest.json.%n";

    private final Path directory;
    private final String profile;
    private final Repository repository;
    private final ProfileLock lock;
    private volatile boolean closed;

    private Generations(Path directory, String profile, Repository repository) {
        this.directory = directory;
        this.profile = profile;
        this.repository = repository;
        this.lock = new ProfileLock(directory, LOCK_PATIENCE);
    }

    /**
     * Opens the repository of a profile, creating it when {@code directory} does not exist or is empty.
     *
     * <p>A new repository is built in a hidden sibling directory and renamed into place, so a process killed while
     * creating it leaves either no repository or a complete one (and at worst a {@code .NAME.creating-*} directory
     * beside it), never a half-made one that the next run would refuse.
     *
     * @param directory where the profile's repository is, or is to be created
     * @param profile   the profile's name, recorded in the repository and checked on every later open
     * @return the opened repository; close it when done
     * @throws NotAProfileRepositoryException when the directory exists, is not empty and is not this profile's
     *                                        repository; nothing in it is changed then
     * @throws GenerationsException           when the repository cannot be created or read
     */
    public static Generations open(Path directory, String profile) throws GenerationsException {
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
            return attach(absolute.toRealPath(), profile);
        } catch (dev.beckon.activation.SafeDirectories.UnsafePathException e) {
            throw new GenerationsException(absolute, e.getMessage(), e);
        } catch (IOException e) {
            throw new GenerationsException(absolute, "cannot open it: " + e, e);
        }
    }

    /** @return the directory of this profile's repository, as a real path */
    public Path directory() {
        return directory;
    }

    /** @return the profile's name */
    public String profile() {
        return profile;
    }

    /**
     * The generation the targets run.
     *
     * @return the current generation; empty when none has been recorded yet
     * @throws GenerationsException when the repository cannot be read or is inconsistent
     */
    public Optional<Generation> current() {
        return locked("read the current generation", walk -> {
            State state = readState(walk);
            return state.current().map(number -> describe(state, number));
        });
    }

    /**
     * All kept generations, oldest first, with the current one marked.
     *
     * @return the kept generations; empty when none has been recorded yet
     * @throws GenerationsException when the repository cannot be read or is inconsistent
     */
    public List<Generation> list() {
        return locked("list the generations", walk -> {
            State state = readState(walk);
            List<Generation> generations = new ArrayList<>();
            for (int number : state.kept().keySet()) {
                generations.add(describe(state, number));
            }
            return List.copyOf(generations);
        });
    }

    /**
     * Records a deployment as a new generation, numbered one past the highest ever recorded (deleted ones
     * included, so a number never names two different deployments), and makes it the current one.
     *
     * @param manifest the resolved manifest, stored as {@code manifest.json} byte for byte
     * @param models   the model files as deployed, by plain file name (no {@code /}), stored byte for byte
     * @param user     who deployed, recorded as the commit's author and committer
     * @param message  what the deployment was for; {@code null} or blank for the default {@code "generation N"};
     *                 surrounding whitespace is dropped
     * @return the new generation, which is current
     * @throws IllegalArgumentException when a model file name or the user cannot be stored
     * @throws GenerationsException     when the repository cannot be read or written; its refs move all at once or
     *                                  not at all, so it is left as it was or with the new generation current
     */
    public Generation record(byte[] manifest, Map<String, byte[]> models, String user, String message) {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(models, "models");
        requireUser(user);
        SortedMap<String, byte[]> checkedModels = checkedModels(models);
        return locked("record a generation", walk -> {
            if (!repository.getRefDatabase().performsAtomicTransactions()) {
                throw new GenerationsException(directory, "its ref storage cannot move several refs at once, so no generation"
                        + " can be recorded safely");
            }
            removeLockFilesOfDeadWriters();
            State state = readState(walk);
            Ref tip = repository.exactRef(BRANCH);
            int highestTagged = state.kept().isEmpty() ? 0 : state.kept().lastKey();
            int highestRecorded = tip == null ? 0 : generationNumberOf(commitOf(walk, tip), tip.getName());
            int number = Math.max(highestTagged, highestRecorded) + 1;

            PersonIdent deployer = new PersonIdent(user, "", Instant.now(), ZoneId.systemDefault());
            ObjectId commit = writeCommit(number, manifest, checkedModels, tip, deployer, message);

            // Crash safety: the objects above are written (and fsynced, see syncToDisk) before any ref
            // names them, so a process killed until here leaves only unreferenced objects behind. The tag, the
            // branch and the current pointer then move in one atomic batch: JGit's RefDirectory applies it by
            // writing a new packed-refs file and renaming it into place, one rename that either happened or did
            // not. So there is no state where refs/beckon/current names a generation whose tag is missing, or a
            // tag exists while the pointer still names the old one: a killed process leaves the old state or the
            // new one. Each command also checks the ref's old value, so a writer that bypassed the lock fails
            // instead of overwriting. Lock files a killed writer left behind are removed above, under the lock.
            BatchRefUpdate batch = repository.getRefDatabase().newBatchUpdate();
            batch.setAtomic(true);
            batch.setAllowNonFastForwards(true);
            batch.setRefLogIdent(deployer);
            batch.setRefLogMessage("beckon: recorded generation " + number, false);
            batch.addCommand(new ReceiveCommand(ObjectId.zeroId(), commit, tagName(number), ReceiveCommand.Type.CREATE));
            batch.addCommand(new ReceiveCommand(tip == null ? ObjectId.zeroId() : tip.getObjectId(), commit, BRANCH));
            batch.addCommand(new ReceiveCommand(state.currentRef() == null ? ObjectId.zeroId() : state.currentRef().getObjectId(), commit,
                    CURRENT_REF));
            batch.execute(walk, NullProgressMonitor.INSTANCE);
            List<String> failures = batch.getCommands().stream()
                    .filter(command -> command.getResult() != ReceiveCommand.Result.OK)
                    .map(command -> command.getRefName() + ": " + command.getResult()
                            + (command.getMessage() == null ? "" : " (" + command.getMessage() + ")"))
                    .collect(Collectors.toList());
            if (!failures.isEmpty()) {
                throw new GenerationsException(directory, "generation " + number + " was not recorded, its refs could not be moved: "
                        + String.join("; ", failures));
            }
            return describeCommit(number, walk.parseCommit(commit), true);
        });
    }

    /**
     * Makes a kept generation the current one, after {@code beckon rollback} deployed it. No generation is created,
     * so a later {@link #record} still numbers past the highest.
     *
     * @param number the generation to make current
     * @return that generation, now current
     * @throws UnknownGenerationException when the profile keeps no such generation
     * @throws GenerationsException       when the repository cannot be written; then the current one is unchanged
     */
    public Generation makeCurrent(int number) {
        return locked("make generation " + number + " current", walk -> {
            removeLockFilesOfDeadWriters();
            State state = readState(walk);
            RevCommit target = keptCommit(state, number);
            if (state.current().orElse(0) == number) {
                return describe(state, number);
            }
            // One ref, moved by writing refs/beckon/current.lock and renaming it over the old file: a killed process
            // leaves the old pointer or the new one, and both name a kept generation.
            RefUpdate update = repository.updateRef(CURRENT_REF);
            update.setExpectedOldObjectId(state.currentRef() == null ? ObjectId.zeroId() : state.currentRef().getObjectId());
            update.setNewObjectId(target);
            update.setForceUpdate(true);
            update.setRefLogMessage("beckon: made generation " + number + " current", false);
            RefUpdate.Result result = update.update(walk);
            switch (result) {
                case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> {
                    return describeCommit(number, target, true);
                }
                default -> throw new GenerationsException(directory,
                        "generation " + number + " could not be made current: moving " + CURRENT_REF + " failed with " + result);
            }
        });
    }

    /**
     * The manifest of a generation, byte for byte as recorded.
     *
     * @param number a kept generation
     * @return a fresh copy of its manifest
     * @throws UnknownGenerationException when the profile keeps no such generation
     * @throws GenerationsException       when the repository cannot be read
     */
    public byte[] manifest(int number) {
        return locked("read the manifest of generation " + number, walk -> {
            RevCommit commit = keptCommit(readState(walk), number);
            try (TreeWalk entry = TreeWalk.forPath(walk.getObjectReader(), MANIFEST_FILE, commit.getTree())) {
                if (entry == null || !isFile(entry.getFileMode(0))) {
                    throw damaged("generation " + number + " (commit " + commit.name() + ") holds no " + MANIFEST_FILE);
                }
                return readBlob(walk.getObjectReader(), entry.getObjectId(0));
            }
        });
    }

    /**
     * The model files of a generation, byte for byte as recorded.
     *
     * @param number a kept generation
     * @return its model files by file name, sorted by name; fresh copies
     * @throws UnknownGenerationException when the profile keeps no such generation
     * @throws GenerationsException       when the repository cannot be read
     */
    public Map<String, byte[]> models(int number) {
        return locked("read the models of generation " + number, walk -> {
            RevCommit commit = keptCommit(readState(walk), number);
            ObjectReader reader = walk.getObjectReader();
            SortedMap<String, byte[]> models = new TreeMap<>();
            try (TreeWalk directoryEntry = TreeWalk.forPath(reader, MODELS_DIRECTORY, commit.getTree())) {
                if (directoryEntry == null) {
                    return Collections.unmodifiableSortedMap(models);
                }
                if (directoryEntry.getFileMode(0) != FileMode.TREE) {
                    throw damaged("generation " + number + " (commit " + commit.name() + ") has a " + MODELS_DIRECTORY
                            + " that is not a directory");
                }
                try (TreeWalk files = new TreeWalk(reader)) {
                    files.addTree(directoryEntry.getObjectId(0));
                    while (files.next()) {
                        if (!isFile(files.getFileMode(0))) {
                            throw damaged("generation " + number + " (commit " + commit.name() + ") has " + MODELS_DIRECTORY + "/"
                                    + files.getPathString() + ", which is not a plain file");
                        }
                        models.put(files.getPathString(), readBlob(reader, files.getObjectId(0)));
                    }
                }
            }
            return Collections.unmodifiableSortedMap(models);
        });
    }

    /**
     * The generation {@code beckon rollback} goes back to: the highest kept generation below the current one.
     * After rolling back to it, the next call answers the one below that, so repeated rollbacks walk back
     * (3, 2, 1) instead of toggling between two.
     *
     * @return that generation; empty when there is no current generation or none below it is kept
     * @throws GenerationsException when the repository cannot be read or is inconsistent
     */
    public Optional<Generation> previous() {
        return locked("find the previous generation", walk -> {
            State state = readState(walk);
            return state.current()
                    .map(current -> state.kept().headMap(current))
                    .filter(below -> !below.isEmpty())
                    .map(below -> describe(state, below.lastKey()));
        });
    }

    /**
     * Drops a kept generation, for {@code beckon gc}: its tag goes, so it is no longer listed or deployable; its
     * commit stays in the branch history as a record that it was deployed. Its number is never given out again.
     *
     * @param number a kept generation other than the current one
     * @throws UnknownGenerationException when the profile keeps no such generation
     * @throws GenerationsException       when it is the current generation, or the repository cannot be written
     */
    public void delete(int number) {
        locked("delete generation " + number, walk -> {
            removeLockFilesOfDeadWriters();
            State state = readState(walk);
            keptCommit(state, number);
            if (state.current().orElse(0) == number) {
                throw new GenerationsException(directory, "generation " + number + " of profile '" + profile
                        + "' is the current one and cannot be deleted; deploy or roll back to another generation first");
            }
            // Deleting one ref is atomic on its own: JGit rewrites packed-refs without it, then removes any loose copy.
            // A killed process leaves the tag in place (old state) or gone (new state).
            RefUpdate update = repository.updateRef(tagName(number));
            update.setExpectedOldObjectId(state.kept().get(number));
            update.setForceUpdate(true);
            RefUpdate.Result result = update.delete(walk);
            if (result != RefUpdate.Result.FORCED && result != RefUpdate.Result.NO_CHANGE) {
                throw new GenerationsException(directory, "generation " + number + " could not be deleted: removing "
                        + tagName(number) + " failed with " + result);
            }
            return null;
        });
    }

    /** Closes the repository; later calls on this instance fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            repository.close();
        }
    }

    // ---- opening and creating ----

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
            builder.setInitialBranch(BRANCH.substring(Constants.R_HEADS.length()));
        } catch (InvalidRefNameException e) {
            throw new IllegalStateException("the branch name " + BRANCH + " is rejected by JGit (this is a bug)", e);
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

    private static Generations attach(Path directory, String profile) {
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
        return new Generations(directory, profile, repository);
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

    // ---- reading ----

    /** What the refs say, read once per operation so that every answer comes from one consistent look. */
    private record State(SortedMap<Integer, RevCommit> kept, Optional<Integer> current, Ref currentRef) {
    }

    private State readState(RevWalk walk) throws IOException {
        SortedMap<Integer, RevCommit> kept = new TreeMap<>();
        for (Ref tag : repository.getRefDatabase().getRefsByPrefix(TAG_PREFIX)) {
            Matcher matcher = GENERATION_TAG.matcher(tag.getName());
            if (!matcher.matches()) {
                continue; // An operator's own tag, not a generation.
            }
            int number = Integer.parseInt(matcher.group(1));
            RevCommit commit = commitOf(walk, tag);
            int recorded = generationNumberOf(commit, tag.getName());
            if (recorded != number) {
                throw damaged(tag.getName() + " points to commit " + commit.name() + ", which records generation " + recorded);
            }
            kept.put(number, commit);
        }
        Ref currentRef = repository.exactRef(CURRENT_REF);
        if (currentRef == null) {
            if (!kept.isEmpty()) {
                throw damaged("it keeps generations " + numbers(kept) + " but has no " + CURRENT_REF + " to say which one is deployed"
                        + "; after checking which one the targets run, set it with: git -C " + directory + " update-ref " + CURRENT_REF
                        + " " + tagName(kept.lastKey()));
            }
            return new State(kept, Optional.empty(), null);
        }
        RevCommit currentCommit = commitOf(walk, currentRef);
        int current = generationNumberOf(currentCommit, CURRENT_REF);
        RevCommit tagged = kept.get(current);
        if (!currentCommit.equals(tagged)) {
            throw damaged(CURRENT_REF + " points to commit " + currentCommit.name() + " of generation " + current + ", but "
                    + tagName(current) + (tagged == null ? " is missing" : " points to commit " + tagged.name())
                    + "; restore it with: git -C " + directory + " tag -f generation-" + current + " " + currentCommit.name());
        }
        return new State(kept, Optional.of(current), currentRef);
    }

    private RevCommit commitOf(RevWalk walk, Ref ref) {
        ObjectId id = ref.getObjectId();
        if (id == null) {
            throw damaged(ref.getName() + " points nowhere");
        }
        try {
            return walk.parseCommit(id);
        } catch (MissingObjectException e) {
            throw damaged(ref.getName() + " points to " + id.name() + ", which is not in the repository", e);
        } catch (IncorrectObjectTypeException e) {
            throw damaged(ref.getName() + " points to " + id.name() + ", which is not a commit", e);
        } catch (IOException e) {
            throw damaged(ref.getName() + " points to " + id.name() + ", which cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private int generationNumberOf(RevCommit commit, String reachedThrough) {
        List<String> values = commit.getFooterLines(GENERATION_TRAILER);
        if (values.size() == 1) {
            try {
                int number = Integer.parseInt(values.get(0).strip());
                if (number > 0) {
                    return number;
                }
            } catch (NumberFormatException e) {
                // Reported below with the commit that carries it.
            }
        }
        throw damaged(reachedThrough + " points to commit " + commit.name() + ", which beckon did not record (its message has "
                + (values.isEmpty() ? "no " + GENERATION_TRAILER + " trailer" : "the " + GENERATION_TRAILER + " trailer " + values) + ")");
    }

    private RevCommit keptCommit(State state, int number) {
        RevCommit commit = state.kept().get(number);
        if (commit == null) {
            throw new UnknownGenerationException(directory, profile, number, new TreeSet<>(state.kept().keySet()));
        }
        return commit;
    }

    private Generation describe(State state, int number) {
        return describeCommit(number, state.kept().get(number), state.current().orElse(0) == number);
    }

    private static Generation describeCommit(int number, RevCommit commit, boolean current) {
        PersonIdent author = commit.getAuthorIdent();
        return new Generation(number, author.getWhenAsInstant(), author.getName(), messageOf(commit), commit.name(), current);
    }

    private static byte[] readBlob(ObjectReader reader, ObjectId blob) throws IOException {
        return reader.open(blob, Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE);
    }

    private static boolean isFile(FileMode mode) {
        return mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
    }

    // ---- writing ----

    private ObjectId writeCommit(int number, byte[] manifest, SortedMap<String, byte[]> models, Ref parent, PersonIdent deployer,
            String message) throws IOException {
        List<ObjectId> written = new ArrayList<>();
        ObjectId commitId;
        try (ObjectInserter inserter = repository.newObjectInserter()) {
            TreeFormatter root = new TreeFormatter();
            ObjectId manifestBlob = inserter.insert(Constants.OBJ_BLOB, manifest);
            written.add(manifestBlob);
            root.append(MANIFEST_FILE, FileMode.REGULAR_FILE, manifestBlob);
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
                root.append(MODELS_DIRECTORY, FileMode.TREE, modelsId);
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
        return text + "\n\n" + GENERATION_TRAILER + ": " + number + "\n" + PROFILE_TRAILER + ": " + profile + "\n";
    }

    static String messageOf(RevCommit commit) {
        String full = commit.getFullMessage();
        int trailers = full.lastIndexOf("\n\n" + GENERATION_TRAILER + ":");
        return (trailers < 0 ? full : full.substring(0, trailers)).strip();
    }

    /**
     * JGit's lock files ({@code NAME.lock}, renamed over {@code NAME} on commit) outlive a killed writer and would
     * make every later write fail. Every beckon writer holds the profile lock while it writes, and this runs under
     * it, so any such file found now was left by a writer that died. A person running a ref-writing git command
     * in the repository at this very moment could lose that write; the repository's description says to leave
     * writing to beckon.
     */
    private void removeLockFilesOfDeadWriters() throws IOException {
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
    private static SortedMap<String, byte[]> checkedModels(Map<String, byte[]> models) {
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

    private static void requireProfileName(String profile) {
        if (profile == null || profile.isBlank() || profile.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a profile name must be non-blank text on one line, got '" + profile + "'");
        }
    }

    private static void requireUser(String user) {
        if (user == null || user.isBlank() || user.chars().anyMatch(c -> Character.isISOControl(c) || c == '<' || c == '>')) {
            throw new IllegalArgumentException("the deploying user must be a non-blank name on one line without '<' or '>', got '"
                    + user + "'");
        }
    }

    private static String tagName(int number) {
        return TAG_PREFIX + number;
    }

    private static String numbers(SortedMap<Integer, ?> kept) {
        return kept.keySet().stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    // ---- locking and errors ----

    @FunctionalInterface
    private interface RepositoryWork<T> {
        T run(RevWalk walk) throws IOException;
    }

    private <T> T locked(String purpose, RepositoryWork<T> work) {
        if (closed) {
            throw new IllegalStateException("the generations of profile '" + profile + "' in " + directory + " are closed; cannot "
                    + purpose);
        }
        ProfileLock.Held held = lock.acquire(purpose);
        try (held; RevWalk walk = new RevWalk(repository)) {
            return work.run(walk);
        } catch (GenerationsException e) {
            throw e;
        } catch (IOException e) {
            throw new GenerationsException(directory, "cannot " + purpose + ": " + e, e);
        } catch (UncheckedIOException e) {
            throw new GenerationsException(directory, "cannot " + purpose + ": " + e.getCause(), e);
        } catch (RuntimeException e) {
            // JGit reports some damage unchecked (RevWalkException, LargeObjectException); say where it happened.
            throw new GenerationsException(directory, "cannot " + purpose + ": " + e, e);
        }
    }

    private GenerationsException damaged(String detail) {
        return damaged(detail, null);
    }

    private GenerationsException damaged(String detail, Throwable cause) {
        return new GenerationsException(directory, "is damaged: " + detail, cause);
    }
}
