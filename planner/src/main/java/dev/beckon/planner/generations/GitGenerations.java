package dev.beckon.planner.generations;

import dev.beckon.planner.state.ProfileLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@link Generations}, read and written through JGit: every method of that class that needs the repository ends
 * here, so JGit's classes load only when one runs.
 */
final class GitGenerations {
    private final Path directory;
    private final String profile;
    private final Repository repository;
    private final ProfileLock lock;
    private final GenerationHistory history;
    private final GenerationWriter writer;
    private volatile boolean closed;

    GitGenerations(Path directory, String profile, ProfileLock lock) {
        this.directory = directory;
        this.profile = profile;
        this.repository = ProfileRepository.attach(directory, profile);
        this.lock = lock;
        this.history = new GenerationHistory(directory, profile, repository);
        this.writer = new GenerationWriter(directory, profile, repository);
    }

    /**
     * The generation the targets run.
     *
     * @return the current generation; empty when none has been recorded yet
     * @throws GenerationsException when the repository cannot be read or is inconsistent
     */
    Optional<Generation> current() {
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
    List<Generation> list() {
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
    Generation record(byte[] manifest, Map<String, byte[]> models, String user, String message) {
        return record(manifest, models, user, message, 1);
    }

    /**
     * As {@link #record(byte[], Map, String, String)}, numbered at least {@code atLeast}: {@code beckon reconstruct}
     * gives a rebuilt profile's generation the number the lost one had, so later numbers go on from it.
     */
    Generation record(byte[] manifest, Map<String, byte[]> models, String user, String message, int atLeast) {
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
    Generation makeCurrent(int number) {
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
    byte[] manifest(int number) {
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
    Map<String, byte[]> models(int number) {
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
    Optional<Generation> previous() {
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
    void delete(int number) {
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

    /**
     * Notes the current generation in a {@link CurrentRecord}, read under the lock in one look; with none current, or
     * whatever fails, there is no record (it is only ever a shortcut past this class).
     */
    void noteCurrent() {
        try {
            locked("note the current generation", walk -> {
                Path file = directory.resolve(CurrentRecord.FILE);
                GenerationHistory.State state = history.readState(walk);
                if (state.current().isEmpty()) {
                    Files.deleteIfExists(file);
                    return null;
                }
                int number = state.current().get();
                RevCommit commit = state.kept().get(number);
                try (TreeWalk entry = TreeWalk.forPath(walk.getObjectReader(), GenerationHistory.MANIFEST_FILE, commit.getTree())) {
                    if (entry == null || !GenerationHistory.isFile(entry.getFileMode(0))) {
                        Files.deleteIfExists(file);
                        return null;
                    }
                    SortedMap<Integer, String> kept = new TreeMap<>();
                    state.kept().forEach((n, c) -> kept.put(n, c.name()));
                    CurrentRecord.write(directory, profile, new CurrentRecord.Read(kept, number, commit.getTree().name(), entry.getObjectId(0).name()));
                }
                return null;
            });
        } catch (GenerationsException | IllegalStateException e) {
            // No record: the next command reads the repository through JGit, as without one.
        }
    }

    /** The sharing of this profile with a team's bare repository ({@code beckon profile push|pull}). */
    SharedProfile shared() {
        return new SharedProfile(directory, profile, repository, lock, history);
    }

    /** Closes the repository; later calls on this instance fail. */
    void close() {
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
