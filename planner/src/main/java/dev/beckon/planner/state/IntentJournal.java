package dev.beckon.planner.state;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.manifest.MissingFields;
import dev.beckon.planner.plan.PlanningException;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalInt;

/**
 * What a deployment is about to do to the targets, written (and synced) before it touches them, with each step
 * marked done as it goes. A deployer killed at any point leaves it behind, and the next command on the profile
 * knows the targets may be in between and from where to where.
 *
 * <p>Two files in the profile's directory: {@code intent.json}, written once and atomically, and
 * {@code intent.done}, one line per finished step, appended as each finishes and synced once, when all have
 * ({@link #stepsDurable}), before the generation is recorded. A line is in the file as soon as it is written, so a
 * killed deployer leaves every line of its finished steps; only a crash of the machine can lose some, and then
 * recovery finds not every step done and brings the targets back to where they were, judging by what they run,
 * not by these lines: it never records a generation whose steps were not all done.
 */
public final class IntentJournal implements AutoCloseable {
    public static final int FORMAT_VERSION = 1;
    public static final String INTENT_FILE = "intent.json";
    static final String DONE_FILE = "intent.done";
    /**
     * For the crash-recovery tests: the deployer stops at this step boundary (0: the journal is written, k: step
     * k is done, steps + 1: the generation is recorded) and waits to be killed.
     */
    static final String PAUSE_VARIABLE = "BECKON_TEST_PAUSE_AT";

    /** Whether a deployment carries out a model (a new generation) or goes back to a kept generation. */
    public enum Kind { DEPLOY, ROLLBACK }

    /**
     * The journal's content.
     *
     * @param fromGeneration the generation that was current when it started; {@code null} before the first one
     * @param toGeneration   for a rollback, the generation it goes to; {@code null} for a deployment
     * @param models         for a deployment, the model files the new generation records
     */
    public record Intent(int format, Kind kind, String profile, Integer fromGeneration, Integer toGeneration,
            Manifest from, Manifest to, Map<String, byte[]> models, String user, String message, List<String> steps,
            long pid, String started) {
        public Intent {
            steps = List.copyOf(steps);
            models = Map.copyOf(models);
        }

        /** "deployment (from generation 3)" or "rollback to generation 2 (from generation 4)". */
        public String describe() {
            String from = fromGeneration == null ? "before the first generation" : "from generation " + fromGeneration;
            return (kind == Kind.DEPLOY ? "deployment" : "rollback to generation " + toGeneration) + " (" + from + ")";
        }
    }

    /** A journal found on disk: what was meant, and how many of its steps were done. */
    public record Found(Intent intent, int stepsDone, Path directory) {
        public boolean everyStepDone() {
            return stepsDone >= intent.steps().size();
        }
    }

    private final Path directory;
    private final Intent intent;
    private final Map<String, String> environment;
    private final FileChannel doneFile;
    private final java.util.Set<Integer> done = new java.util.HashSet<>();

    private IntentJournal(Path directory, Intent intent, Map<String, String> environment, FileChannel doneFile) {
        this.directory = directory;
        this.intent = intent;
        this.environment = environment;
        this.doneFile = doneFile;
    }

    /**
     * Writes the journal of a deployment about to start.
     *
     * @throws PlanningException when it cannot be written; then nothing has been touched
     */
    public static IntentJournal begin(Path directory, Intent intent, Map<String, String> environment) throws PlanningException {
        Path intentFile = directory.resolve(INTENT_FILE);
        try {
            if (Files.exists(intentFile)) {
                throw new PlanningException("the journal of an earlier deployment is still in " + intentFile
                        + "; run any beckon command on profile " + intent.profile() + " to recover from it first");
            }
            Files.deleteIfExists(directory.resolve(DONE_FILE));
            AtomicFiles.write(intentFile, ManifestJson.mapper().writeValueAsString(intent) + "\n", AtomicFiles.READABLE);
            FileChannel done = SafeDirectories.openNoFollow(directory.resolve(DONE_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            IntentJournal journal = new IntentJournal(directory, intent, environment, done);
            journal.pauseIfAsked(0);
            return journal;
        } catch (IOException e) {
            throw new PlanningException("cannot write the deployment journal " + intentFile + ": " + e.getMessage()
                    + "; nothing was changed", e);
        }
    }

    /** The steps this journal promised, in order. */
    List<String> steps() {
        return intent.steps();
    }

    /**
     * Marks a step done, on disk, before the deployer goes on. Steps on different targets finish in any order;
     * each line names the step's place in the list.
     */
    public synchronized void stepDone(String step) throws IOException {
        int index = -1;
        for (int i = 0; i < intent.steps().size(); i++) {
            if (intent.steps().get(i).equals(step) && !done.contains(i)) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            throw new IllegalStateException("\"" + step + "\" is not a step of this journal that is still to do");
        }
        done.add(index);
        doneFile.write(ByteBuffer.wrap(((index + 1) + " " + step + "\n").getBytes(StandardCharsets.UTF_8)));
        pauseIfAsked(done.size());
    }

    /**
     * Syncs the lines of the steps done: once every step is, before the generation they make is recorded. One sync
     * for the deployment instead of one per step (a deployment of 200 services has 400 and more).
     */
    public synchronized void stepsDurable() throws IOException {
        doneFile.force(true);
    }

    /** The new generation is recorded: only removing the journal remains. */
    public void recorded() {
        pauseIfAsked(intent.steps().size() + 1);
    }

    /** Removes the journal: the targets are as the profile's current generation says. */
    public void finish() throws PlanningException {
        close();
        remove(directory);
    }

    @Override
    public void close() {
        try {
            doneFile.close();
        } catch (IOException ignored) {
            // Only closing: the lines that matter were synced by stepsDurable, and the rest mean recovery either way.
        }
    }

    /**
     * The journal a deployment left, if any.
     *
     * @throws PlanningException when there is one that cannot be read; the message says what to do
     */
    public static Optional<Found> find(Path directory) throws PlanningException {
        Path intentFile = directory.resolve(INTENT_FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(intentFile);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new PlanningException("cannot read the deployment journal " + intentFile + ": " + e.getMessage(), e);
        }
        String damaged = "the deployment journal " + intentFile + " is damaged (%s). An interrupted deployment left it, so the"
                + " targets may be in between: `rm " + intentFile + "`, then `beckon status` shows what they run, and `beckon deploy`"
                + " or `beckon rollback` puts them right";
        Intent intent;
        try {
            intent = ManifestJson.mapper().readValue(bytes, Intent.class);
        } catch (JsonProcessingException e) {
            throw new PlanningException(damaged.formatted(dev.beckon.models.Messages.printable(String.valueOf(e.getOriginalMessage()))
                    .lines().findFirst().orElse("")), e);
        } catch (IOException e) {
            throw new PlanningException("cannot read the deployment journal " + intentFile + ": " + e.getMessage(), e);
        }
        Optional<String> missing = MissingFields.first(intent, "", Set.of("fromGeneration", "toGeneration"));
        if (missing.isPresent()) {
            throw new PlanningException(damaged.formatted(missing.get().isEmpty() ? "it is JSON null" : "it has no " + missing.get()));
        }
        if (intent.format() != FORMAT_VERSION) {
            throw new PlanningException("the deployment journal " + intentFile + " has format " + intent.format()
                    + "; this beckon reads format " + FORMAT_VERSION + ": finish the recovery with the beckon that wrote it");
        }
        return Optional.of(new Found(intent, countDone(directory.resolve(DONE_FILE), intent), directory));
    }

    /** Only whole lines count: a line cut short by a crash was not synced, so its step is not known to be done. */
    private static int countDone(Path file, Intent intent) throws PlanningException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new PlanningException("cannot read the deployment journal " + file + ": " + e.getMessage(), e);
        }
        java.util.Set<Integer> done = new java.util.HashSet<>();
        String[] lines = text.split("\n", -1);
        // The last element follows the last newline: empty, or a line the crash cut short.
        for (int i = 0; i < lines.length - 1; i++) {
            int space = lines[i].indexOf(' ');
            try {
                int index = Integer.parseInt(lines[i].substring(0, Math.max(space, 0))) - 1;
                if (index >= 0 && index < intent.steps().size() && lines[i].substring(space + 1).equals(intent.steps().get(index))) {
                    done.add(index);
                }
            } catch (NumberFormatException ignored) {
                // Not a line beckon wrote whole.
            }
        }
        return done.size();
    }

    /** Removes a journal once the targets are as a generation says. */
    public static void remove(Path directory) throws PlanningException {
        try {
            AtomicFiles.delete(directory.resolve(INTENT_FILE));
            AtomicFiles.delete(directory.resolve(DONE_FILE));
        } catch (IOException e) {
            throw new PlanningException("cannot remove the deployment journal in " + directory + ": " + e.getMessage(), e);
        }
    }

    private void pauseIfAsked(int boundary) {
        OptionalInt pauseAt = parse(environment.get(PAUSE_VARIABLE));
        if (pauseAt.isPresent() && pauseAt.getAsInt() == boundary) {
            System.err.println("beckon: paused at step boundary " + boundary + " (" + PAUSE_VARIABLE + "), waiting to be killed");
            System.err.flush();
            while (true) {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    // Only a kill ends this.
                }
            }
        }
    }

    private static OptionalInt parse(String value) {
        try {
            return value == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(value.strip()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
