package dev.beckon.planner.generations;

import dev.beckon.planner.state.ProfileLock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 *
 * <p>The repository is read and written by {@link GitGenerations}, through JGit, opened on first need: a command
 * that needs only the current generation's manifest ({@link #currentManifest}) finds it noted in a
 * {@link CurrentRecord} when that still describes the repository exactly, and then starts no JGit at all.
 */
public final class Generations implements AutoCloseable {
    private static final Duration LOCK_PATIENCE = Duration.ofSeconds(30);

    private final Path directory;
    private final String profile;
    private final ProfileLock lock;
    /** The repository through JGit; {@code null} until a method needs it. Guarded by {@code this}. */
    private GitGenerations git;
    /** What {@link #open} found noted, for the first {@link #currentManifest}; empty when JGit was opened instead. */
    private Optional<CurrentRecord.Current> noted;
    private volatile boolean closed;

    private Generations(Path directory, String profile, Optional<CurrentRecord.Current> noted) {
        this.directory = directory;
        this.profile = profile;
        this.lock = new ProfileLock(directory, LOCK_PATIENCE);
        this.noted = noted;
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
        Path real = ProfileDirectory.prepare(directory, profile);
        Generations generations = new Generations(real, profile, Optional.empty());
        if (CurrentRecord.notedFor(real, profile)) {
            try (ProfileLock.Held held = generations.lock.acquire("read the current generation")) {
                generations.noted = CurrentRecord.read(real, profile);
            }
        }
        if (generations.noted.isEmpty()) {
            // As ever without a record: a repository that cannot be used is said at once, before any other work.
            generations.git();
        }
        return generations;
    }

    /** @return the directory of this profile's repository, as a real path */
    public Path directory() {
        return directory;
    }

    /** @return the profile's name */
    public String profile() {
        return profile;
    }

    /** The current generation's number and its manifest, byte for byte as recorded, or why that cannot be read. */
    public static final class CurrentManifest {
        private final int number;
        private final byte[] manifest;
        private final GenerationsException unreadable;

        private CurrentManifest(int number, byte[] manifest, GenerationsException unreadable) {
            this.number = number;
            this.manifest = manifest;
            this.unreadable = unreadable;
        }

        public int number() {
            return number;
        }

        /** @throws GenerationsException as {@link Generations#manifest} of this number would */
        public byte[] manifest() {
            if (unreadable != null) {
                throw unreadable;
            }
            return manifest.clone();
        }
    }

    /**
     * The current generation's manifest, as {@link #current} and {@link #manifest} would give it: from the record
     * {@link #open} found, when the refs are still those it was noted under; else through JGit, which notes it again.
     *
     * @return empty when no generation has been recorded yet
     * @throws GenerationsException as {@link #current} and {@link #manifest}
     */
    public synchronized Optional<CurrentManifest> currentManifest() {
        requireOpen("read the current generation");
        Optional<CurrentRecord.Current> found = noted;
        noted = Optional.empty();
        if (found.isPresent()) {
            try (ProfileLock.Held held = lock.acquire("read the current generation")) {
                if (found.get().fingerprint().equals(CurrentRecord.fingerprint(directory).orElse(null))) {
                    return Optional.of(new CurrentManifest(found.get().number(), found.get().manifest(), null));
                }
            } catch (java.io.IOException e) {
                // Read through JGit below, which says what is wrong, if anything.
            }
        }
        Optional<Generation> current = git().current();
        if (current.isEmpty()) {
            return Optional.empty();
        }
        int number = current.get().number();
        try {
            byte[] manifest = git().manifest(number);
            git().noteCurrent();
            return Optional.of(new CurrentManifest(number, manifest, null));
        } catch (GenerationsException unreadable) {
            return Optional.of(new CurrentManifest(number, null, unreadable));
        }
    }

    /**
     * The generation the targets run.
     *
     * @return the current generation; empty when none has been recorded yet
     * @throws GenerationsException when the repository cannot be read or is inconsistent
     */
    public Optional<Generation> current() {
        return git().current();
    }

    /**
     * All kept generations, oldest first, with the current one marked.
     *
     * @return the kept generations; empty when none has been recorded yet
     * @throws GenerationsException when the repository cannot be read or is inconsistent
     */
    public List<Generation> list() {
        return git().list();
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
        Generation recorded = git().record(manifest, models, user, message, atLeast);
        git().noteCurrent();
        return recorded;
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
        Generation current = git().makeCurrent(number);
        git().noteCurrent();
        return current;
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
        return git().manifest(number);
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
        return git().models(number);
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
        return git().previous();
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
        git().delete(number);
        git().noteCurrent();
    }

    /** The sharing of this profile with a team's bare repository ({@code beckon profile push|pull}). */
    public SharedProfile shared() {
        return git().shared();
    }

    /**
     * Whether the profile may be shared ({@code beckon profile share}): false only when its repository's config
     * names no shared repository for certain (no {@code remote} key anywhere in it, and nothing included from
     * elsewhere). Read without JGit, whose signed jar is the slowest library a command loads: a deployment that
     * finds nothing to change needs no JGit at all.
     */
    public boolean mayBeShared() {
        try {
            String config = java.nio.file.Files.readString(directory.resolve("config"));
            return config.contains(SharedProfile.REMOTE_KEY) || config.contains("[include");
        } catch (java.io.IOException | RuntimeException e) {
            return true; // JGit reads it then, and says what is wrong
        }
    }

    /** Closes the repository; later calls on this instance fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            synchronized (this) {
                if (git != null) {
                    git.close();
                }
            }
        }
    }

    /**
     * Starts JGit on a thread of its own, for a command about to deploy and then record a generation: JGit's classes
     * are loaded and the repository opened while the deployment waits on its targets, rather than before it begins
     * or after it ends. Any failure here is left for the first use that needs JGit, which says what is wrong.
     */
    public void openInBackground() {
        synchronized (this) {
            if (git != null || closed) {
                return;
            }
        }
        Thread opening = new Thread(() -> {
            try {
                git();
            } catch (RuntimeException e) {
                // Said again, with its context, by the call that needs the repository.
            }
        }, "beckon-open-generations");
        opening.setDaemon(true);
        opening.start();
    }

    /** Whether JGit has been started for this instance (for tests of the shortcut past it). */
    synchronized boolean gitOpened() {
        return git != null;
    }

    private void requireOpen(String purpose) {
        if (closed) {
            throw new IllegalStateException("the generations of profile '" + profile + "' in " + directory + " are closed; cannot "
                    + purpose);
        }
    }

    private synchronized GitGenerations git() {
        requireOpen("read or write the repository");
        if (git == null) {
            git = new GitGenerations(directory, profile, lock);
        }
        return git;
    }
}
