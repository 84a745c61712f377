package dev.beckon.planner;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Carries out a plan: locks the targets, copies packages into their stores, deactivates what goes
 * (dependants first), activates what comes or changes (dependencies first), and on any failure puts
 * back, in reverse, everything it did, so every target runs what it ran before.
 */
public final class Deployer {
    private final ModuleFinder modules;
    private final DeployEvents events;

    /** A done (or begun) change and how to put it back. */
    private record Undo(Change change, ManifestEntry entry, boolean activate) {}

    public Deployer(ModuleFinder modules, DeployEvents events) {
        this.modules = modules;
        this.events = events;
    }

    /** Opens the journal of a deployment once its steps are known and its targets locked; may return null: no journal. */
    public interface JournalOpener {
        IntentJournal begin(List<String> steps) throws PlanningException;
    }

    /**
     * For a deployment that needs no journal of its own: a recovery, which the interrupted deployment's journal
     * covers until it is done.
     */
    public static final JournalOpener WITHOUT_JOURNAL = steps -> null;

    /**
     * Deploys the plan, journaling each step when {@code journal} opens one.
     *
     * @throws PlanningException when it cannot start (a target locked, its store or the journal not writable);
     *     then nothing changed
     */
    public DeployResult deploy(Plan plan, JournalOpener journal) throws PlanningException {
        String profile = plan.desired().profile();
        List<DeploymentLock> locks = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> target : stateDirectories(plan).entrySet()) {
                events.targetStep(target.getKey(), "locking " + target.getValue());
                locks.add(DeploymentLock.acquire(DeploymentLock.targetLockFile(target.getValue()), "target " + target.getKey(),
                        profile, "deploy", warning -> events.targetStep(target.getKey(), warning)));
            }
            Steps steps = new Steps(journal.begin(stepNames(plan)));
            try {
                distribute(plan);
                try {
                    steps.done(DISTRIBUTE);
                } catch (ActivationException e) {
                    throw new PlanningException(e.getMessage() + "; no service was changed", e);
                }
                return carryOut(plan, profile, steps);
            } finally {
                steps.close();
            }
        } finally {
            releaseAll(locks);
        }
    }

    private void releaseAll(List<DeploymentLock> locks) throws PlanningException {
        PlanningException first = null;
        for (DeploymentLock lock : locks) {
            try {
                lock.close();
            } catch (PlanningException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static final String DISTRIBUTE = "copy packages into the targets' stores";
    private static final String FINISH = "reload the service managers and verify";

    /** The steps a plan takes, in order, as its journal lists them. */
    static List<String> stepNames(Plan plan) {
        List<String> names = new ArrayList<>();
        names.add(DISTRIBUTE);
        for (Change change : deactivations(plan)) {
            names.add(stepName(change));
        }
        for (List<Change> batch : installBatches(plan).values()) {
            names.add(installStepName(batch));
        }
        for (Change change : activations(plan)) {
            names.add(stepName(change));
        }
        names.add(FINISH);
        return names;
    }

    private static String stepName(Change change) {
        return change.action().summary().substring(3) + " " + change.id();
    }

    private static String installStepName(List<Change> batch) {
        ManifestEntry first = batch.get(0).desired().orElseThrow();
        return "install on " + first.target() + " (" + first.type() + "): "
                + String.join(", ", batch.stream().map(Change::service).toList());
    }

    private static List<Change> deactivations(Plan plan) {
        return plan.changes().stream().filter(c -> c.action() == Action.DEACTIVATE).toList();
    }

    private static List<Change> activations(Plan plan) {
        return plan.changes().stream().filter(c -> c.action() != Action.DEACTIVATE).toList();
    }

    /** The activations grouped by module session, so that each session installs its instances at once (one reload). */
    private static Map<String, List<Change>> installBatches(Plan plan) {
        Map<String, List<Change>> batches = new LinkedHashMap<>();
        for (Change change : activations(plan)) {
            batches.computeIfAbsent(ModuleSessions.key(change.desired().orElseThrow()), k -> new ArrayList<>()).add(change);
        }
        return batches;
    }

    /** Marks steps done in the journal, when there is one. */
    private static final class Steps implements AutoCloseable {
        private final IntentJournal journal;

        Steps(IntentJournal journal) {
            this.journal = journal;
        }

        void done(String step) throws ActivationException {
            if (journal != null) {
                try {
                    journal.stepDone(step);
                } catch (IOException e) {
                    throw new ActivationException(step, "cannot mark the step done in the deployment journal: " + e.getMessage(), e);
                }
            }
        }

        @Override
        public void close() {
            if (journal != null) {
                journal.close();
            }
        }
    }

    private DeployResult carryOut(Plan plan, String profile, Steps steps) {
        Deque<Undo> undo = new ArrayDeque<>();
        try (ModuleSessions sessions = new ModuleSessions(modules)) {
            List<ManifestEntry> locked = new ArrayList<>();
            try {
                lockRunningInstances(plan, profile, sessions, locked);
            } catch (ActivationException refused) {
                unlock(locked, sessions, profile);
                return new DeployResult(DeployResult.Outcome.FAILED_AND_UNDONE, Optional.of(refused), List.of());
            }
            try {
                return changeAndUndoOnFailure(plan, profile, sessions, undo, steps);
            } finally {
                unlock(locked, sessions, profile);
            }
        }
    }

    /**
     * Asks every instance that runs and is about to change whether it may (Dysnomia's lock): a
     * service may refuse, for example while it has connections it must not drop. Nothing has been
     * changed when one refuses.
     */
    private void lockRunningInstances(Plan plan, String profile, ModuleSessions sessions, List<ManifestEntry> locked)
            throws ActivationException {
        for (Change change : plan.changes()) {
            if (change.recorded().isPresent()) {
                ManifestEntry running = change.recorded().get();
                sessions.of(running).lock(running.toInstance(profile));
                locked.add(running);
            }
        }
    }

    private void unlock(List<ManifestEntry> locked, ModuleSessions sessions, String profile) {
        for (ManifestEntry entry : locked) {
            try {
                sessions.of(entry).unlock(entry.toInstance(profile));
            } catch (ActivationException e) {
                events.targetStep(entry.target(), "could not unlock " + entry.service() + ": " + e.getMessage());
            }
        }
    }

    private DeployResult changeAndUndoOnFailure(Plan plan, String profile, ModuleSessions sessions, Deque<Undo> undo,
            Steps steps) {
        try {
            for (Change change : deactivations(plan)) {
                ManifestEntry recorded = change.recorded().orElseThrow();
                undo.push(new Undo(change, recorded, true));
                run(change, false, () -> sessions.of(recorded).deactivate(recorded.toInstance(profile)));
                steps.done(stepName(change));
            }
            // Undone in reverse activation order, so that dependants are put back before what they depend on.
            for (Change change : activations(plan)) {
                undo.push(change.action() == Action.ACTIVATE ? new Undo(change, change.desired().orElseThrow(), false)
                        : new Undo(change, change.recorded().orElseThrow(), true));
            }
            for (List<Change> batch : installBatches(plan).values()) {
                List<ServiceInstance> instances = new ArrayList<>();
                for (Change change : batch) {
                    instances.add(change.desired().orElseThrow().toInstance(profile));
                }
                sessions.of(batch.get(0).desired().orElseThrow()).install(instances);
                steps.done(installStepName(batch));
            }
            for (Change change : activations(plan)) {
                ManifestEntry desired = change.desired().orElseThrow();
                run(change, false, () -> sessions.of(desired).activate(desired.toInstance(profile)));
                steps.done(stepName(change));
            }
            sessions.flushAll();
            steps.done(FINISH);
            return new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of());
        } catch (ActivationException failure) {
            List<String> notUndone = putBack(undo, sessions, profile);
            return new DeployResult(notUndone.isEmpty() ? DeployResult.Outcome.FAILED_AND_UNDONE
                    : DeployResult.Outcome.FAILED_NOT_UNDONE, Optional.of(failure), notUndone);
        }
    }

    private List<String> putBack(Deque<Undo> undo, ModuleSessions sessions, String profile) {
        List<String> notUndone = new ArrayList<>();
        while (!undo.isEmpty()) {
            Undo step = undo.pop();
            ServiceInstance instance = step.entry().toInstance(profile);
            try {
                run(step.change(), true, () -> {
                    if (step.activate()) {
                        sessions.of(step.entry()).activate(instance);
                    } else {
                        sessions.of(step.entry()).deactivate(instance);
                    }
                });
            } catch (ActivationException e) {
                notUndone.add(step.change().id() + ": " + e.getMessage());
            }
        }
        try {
            sessions.flushAll();
        } catch (ActivationException e) {
            notUndone.add(e.getMessage());
        }
        return notUndone;
    }

    private interface Step {
        void run() throws ActivationException;
    }

    private void run(Change change, boolean undo, Step step) throws ActivationException {
        events.changeStarted(change, undo);
        long started = System.nanoTime();
        try {
            step.run();
        } catch (ActivationException e) {
            events.changeFailed(change, undo, e);
            throw e;
        } catch (RuntimeException e) {
            ActivationException wrapped = new ActivationException(change.id(), "unexpected error: " + e, e);
            events.changeFailed(change, undo, wrapped);
            throw wrapped;
        }
        events.changeDone(change, undo, Duration.ofNanos(System.nanoTime() - started));
    }

    private void distribute(Plan plan) throws PlanningException {
        for (Change change : plan.changes()) {
            Optional<ManifestEntry> desired = change.desired();
            if (desired.isEmpty()) {
                continue;
            }
            ManifestEntry entry = desired.get();
            try {
                Files.createDirectories(Path.of(entry.instanceDirectory()));
                if (!entry.packageSource().isEmpty()) {
                    Path source = Path.of(entry.packageSource());
                    Path destination = Path.of(entry.packagePath());
                    if (!Files.exists(destination) && !Files.exists(source)) {
                        throw new PlanningException(entry.id() + ": its package " + destination + " is not in the store, and "
                                + source + " is gone");
                    }
                    if (Store.put(source, destination)) {
                        events.targetStep(entry.target(), "copied " + source.getFileName() + " into the store as " + destination.getFileName());
                    }
                }
            } catch (IOException e) {
                throw new PlanningException(entry.id() + ": cannot put its package into the store of " + entry.target() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    private static Map<String, Path> stateDirectories(Plan plan) {
        Map<String, Path> directories = new LinkedHashMap<>();
        for (String target : new TreeSet<>(plan.changes().stream().map(Change::target).toList())) {
            Optional<Manifest.TargetRecord> record = Optional.ofNullable(plan.desired().targets().get(target))
                    .or(() -> Optional.ofNullable(plan.recorded().targets().get(target)));
            directories.put(target, Path.of(record.orElseThrow().stateDirectory()));
        }
        return directories;
    }
}
