package dev.beckon.planner.generations;

import dev.beckon.planner.state.ProfileLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
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
    private static final Duration LOCK_PATIENCE = Duration.ofSeconds(30);

    private final Path directory;
    private final String profile;
    private final Repository repository;
    private final ProfileLock lock;
    private final GenerationHistory history;
    private final GenerationWriter writer;
    private volatile boolean closed;

    private Generations(Path directory, String profile, Repository repository) {
        this.directory = directory;
        this.profile = profile;
        this.repository = repository;
        this.lock = new ProfileLock(directory, LOCK_PATIENCE);
        this.history = new GenerationHistory(directory, profile, repository);
        this.writer = new GenerationWriter(directory, profile, repository);
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
        ProfileRepository.Opened opened = ProfileRepository.open(directory, profile);
        return new Generations(opened.directory(), profile, opened.repository());
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
            GenerationHistory.State state = history.readState(walk);
            return state.current().map(number -> history.describe(state, number));
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
            GenerationHistory.State state = history.readState(walk);
            List<Generation> generations = new ArrayList<>();
            for (int number : state.kept().keySet()) {
                generations.add(history.describe(state, number));
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
        return record(manifest, models, user, message, 1);
    }

    /**
     * As {@link #record(byte[], Map, String, String)}, numbered at least {@code atLeast}: {@code beckon reconstruct}
     * gives a rebuilt profile's generation the number the lost one had, so later numbers go on from it.
     */
    public Generation record(byte[] manifest, Map<String, byte[]> models, String user, String message, int atLeast) {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(models, "models");
        GenerationWriter.requireUser(user);
        SortedMap<String, byte[]> checkedModels = GenerationWriter.checkedModels(models);
        return locked("record a generation", walk -> {
            if (!repository.getRefDatabase().performsAtomicTransactions()) {
                throw new GenerationsException(directory, "its ref storage cannot move several refs at once, so no generation"
                        + " can be recorded safely");
            }
            writer.removeLockFilesOfDeadWriters();
            GenerationHistory.State state = history.readState(walk);
            Ref tip = repository.exactRef(GenerationHistory.BRANCH);
            int highestTagged = state.kept().isEmpty() ? 0 : state.kept().lastKey();
            int highestRecorded = tip == null ? 0 : history.generationNumberOf(history.commitOf(walk, tip), tip.getName());
            int number = Math.max(Math.max(highestTagged, highestRecorded) + 1, atLeast);

            PersonIdent deployer = new PersonIdent(user, "", Instant.now(), ZoneId.systemDefault());
            ObjectId commit = writer.writeCommit(number, manifest, checkedModels, tip, deployer, message);

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
            batch.addCommand(new ReceiveCommand(ObjectId.zeroId(), commit, GenerationHistory.tagName(number), ReceiveCommand.Type.CREATE));
            batch.addCommand(new ReceiveCommand(tip == null ? ObjectId.zeroId() : tip.getObjectId(), commit, GenerationHistory.BRANCH));
            batch.addCommand(new ReceiveCommand(state.currentRef() == null ? ObjectId.zeroId() : state.currentRef().getObjectId(), commit,
                    GenerationHistory.CURRENT_REF));
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
            return GenerationHistory.describeCommit(number, walk.parseCommit(commit), true);
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
            writer.removeLockFilesOfDeadWriters();
            GenerationHistory.State state = history.readState(walk);
            RevCommit target = history.keptCommit(state, number);
            if (state.current().orElse(0) == number) {
                return history.describe(state, number);
            }
            // One ref, moved by writing refs/beckon/current.lock and renaming it over the old file: a killed process
            // leaves the old pointer or the new one, and both name a kept generation.
            RefUpdate update = repository.updateRef(GenerationHistory.CURRENT_REF);
            update.setExpectedOldObjectId(state.currentRef() == null ? ObjectId.zeroId() : state.currentRef().getObjectId());
            update.setNewObjectId(target);
            update.setForceUpdate(true);
            update.setRefLogMessage("beckon: made generation " + number + " current", false);
            RefUpdate.Result result = update.update(walk);
            switch (result) {
                case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> {
                    return GenerationHistory.describeCommit(number, target, true);
                }
                default -> throw new GenerationsException(directory,
                        "generation " + number + " could not be made current: moving " + GenerationHistory.CURRENT_REF + " failed with " + result);
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
            RevCommit commit = history.keptCommit(history.readState(walk), number);
            try (TreeWalk entry = TreeWalk.forPath(walk.getObjectReader(), GenerationHistory.MANIFEST_FILE, commit.getTree())) {
                if (entry == null || !GenerationHistory.isFile(entry.getFileMode(0))) {
                    throw history.damaged("generation " + number + " (commit " + commit.name() + ") holds no " + GenerationHistory.MANIFEST_FILE);
                }
                return GenerationHistory.readBlob(walk.getObjectReader(), entry.getObjectId(0));
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
            RevCommit commit = history.keptCommit(history.readState(walk), number);
            ObjectReader reader = walk.getObjectReader();
            SortedMap<String, byte[]> models = new TreeMap<>();
            try (TreeWalk directoryEntry = TreeWalk.forPath(reader, GenerationHistory.MODELS_DIRECTORY, commit.getTree())) {
                if (directoryEntry == null) {
                    return Collections.unmodifiableSortedMap(models);
                }
                if (directoryEntry.getFileMode(0) != FileMode.TREE) {
                    throw history.damaged("generation " + number + " (commit " + commit.name() + ") has a " + GenerationHistory.MODELS_DIRECTORY
                            + " that is not a directory");
                }
                try (TreeWalk files = new TreeWalk(reader)) {
                    files.addTree(directoryEntry.getObjectId(0));
                    while (files.next()) {
                        if (!GenerationHistory.isFile(files.getFileMode(0))) {
                            throw history.damaged("generation " + number + " (commit " + commit.name() + ") has " + GenerationHistory.MODELS_DIRECTORY + "/"
                                    + files.getPathString() + ", which is not a plain file");
                        }
                        models.put(files.getPathString(), GenerationHistory.readBlob(reader, files.getObjectId(0)));
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
            GenerationHistory.State state = history.readState(walk);
            return state.current()
                    .map(current -> state.kept().headMap(current))
                    .filter(below -> !below.isEmpty())
                    .map(below -> history.describe(state, below.lastKey()));
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
            writer.removeLockFilesOfDeadWriters();
            GenerationHistory.State state = history.readState(walk);
            history.keptCommit(state, number);
            if (state.current().orElse(0) == number) {
                throw new GenerationsException(directory, "generation " + number + " of profile '" + profile
                        + "' is the current one and cannot be deleted; deploy or roll back to another generation first");
            }
            // Deleting one ref is atomic on its own: JGit rewrites packed-refs without it, then removes any loose copy.
            // A killed process leaves the tag in place (old state) or gone (new state).
            RefUpdate update = repository.updateRef(GenerationHistory.tagName(number));
            update.setExpectedOldObjectId(state.kept().get(number));
            update.setForceUpdate(true);
            RefUpdate.Result result = update.delete(walk);
            if (result != RefUpdate.Result.FORCED && result != RefUpdate.Result.NO_CHANGE) {
                throw new GenerationsException(directory, "generation " + number + " could not be deleted: removing "
                        + GenerationHistory.tagName(number) + " failed with " + result);
            }
            return null;
        });
    }

    /** The sharing of this profile with a team's bare repository ({@code beckon profile push|pull}). */
    public SharedProfile shared() {
        return new SharedProfile(directory, profile, repository, lock, history);
    }

    /** Closes the repository; later calls on this instance fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            repository.close();
        }
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
}
