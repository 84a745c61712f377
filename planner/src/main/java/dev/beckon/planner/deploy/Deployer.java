package dev.beckon.planner.deploy;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Change;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.target.LocalTargetSession;
import dev.beckon.planner.target.TargetSession;
import dev.beckon.planner.target.TargetSessions;
import dev.beckon.activation.ActivationException;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Carries out a plan: locks the targets, copies packages into their stores, deactivates what goes
 * (dependants first), activates what comes or changes (dependencies first), and on any failure puts
 * back, in reverse, everything it did on every target, so every target runs what it ran before.
 *
 * <p>Targets are worked on in parallel, up to a bound; on each target the plan's order holds, and across
 * targets an instance waits for what it depends on wherever that runs.
 */
public final class Deployer {
    private static final String DISTRIBUTE = "copy packages into the targets' stores";
    private static final String FINISH = "reload the service managers and verify";

    private final TargetSessions sessions;
    private final DeployEvents events;
    private final int parallel;

    /** A done (or begun) change and how to put it back. */
    private record Undo(Change change, ManifestEntry entry, boolean activate) {}

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
     * @param sessions the command's target sessions, which it keeps open
     * @param parallel how many targets are worked on at once
     */
    public Deployer(TargetSessions sessions, DeployEvents events, int parallel) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
        }
        this.sessions = sessions;
        this.events = events;
        this.parallel = parallel;
    }

    /**
     * Deploys the plan, journaling each step when {@code journal} opens one.
     *
     * @throws PlanningException when it cannot start (a target locked or unreachable, its store or the journal not
     *     writable); then no service was changed
     */
    public DeployResult deploy(Plan plan, JournalOpener journal) throws PlanningException {
        TargetSessions targets = sessions.know(plan.desired(), plan.recorded());
        List<TargetSession.Handle> locks = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> target : stateDirectories(plan).entrySet()) {
                events.targetStep(target.getKey(), "locking " + Messages.printable(target.getValue().toString()));
                locks.add(session(targets, target.getKey()).lockTarget(target.getKey(), target.getValue(), "deploy",
                        warning -> events.targetStep(target.getKey(), warning)));
            }
            try (Steps steps = new Steps(journal.begin(stepNames(plan)))) {
                Map<String, List<Path>> added = new java.util.concurrent.ConcurrentHashMap<>();
                distribute(plan, targets, added);
                try {
                    steps.done(DISTRIBUTE);
                } catch (ActivationException e) {
                    throw new PlanningException(e.getMessage() + "; no service was changed", e);
                }
                DeployResult result = carryOut(plan, targets, steps);
                if (result.outcome() == DeployResult.Outcome.FAILED_AND_UNDONE) {
                    removeFromStores(plan, targets, added);
                }
                return result;
            }
        } finally {
            releaseAll(locks);
        }
    }

    private static TargetSession session(TargetSessions targets, String target) throws PlanningException {
        try {
            return targets.of(target);
        } catch (ActivationException e) {
            throw new PlanningException("target " + target + " cannot be reached: " + e.getMessage() + ". Nothing was changed.", e);
        }
    }

    private void releaseAll(List<TargetSession.Handle> locks) throws PlanningException {
        PlanningException first = null;
        for (TargetSession.Handle lock : locks) {
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
            batches.computeIfAbsent(LocalTargetSession.key(change.desired().orElseThrow()), k -> new ArrayList<>()).add(change);
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

    private DeployResult carryOut(Plan plan, TargetSessions targets, Steps steps) {
        Deque<Undo> undo = new ArrayDeque<>();
        List<ManifestEntry> locked = new ArrayList<>();
        try {
            lockRunningInstances(plan, targets, locked);
        } catch (ActivationException refused) {
            unlock(locked, targets);
            return new DeployResult(DeployResult.Outcome.FAILED_AND_UNDONE, Optional.of(refused), List.of());
        }
        try {
            return changeAndUndoOnFailure(plan, targets, undo, steps);
        } finally {
            unlock(locked, targets);
        }
    }

    /**
     * Asks every instance that runs and is about to change whether it may (Dysnomia's lock): a
     * service may refuse, for example while it has connections it must not drop. Nothing has been
     * changed when one refuses.
     */
    private void lockRunningInstances(Plan plan, TargetSessions targets, List<ManifestEntry> locked) throws ActivationException {
        for (Change change : plan.changes()) {
            if (change.recorded().isPresent()) {
                ManifestEntry running = change.recorded().get();
                targets.of(running).lock(running);
                locked.add(running);
            }
        }
    }

    private void unlock(List<ManifestEntry> locked, TargetSessions targets) {
        for (ManifestEntry entry : locked) {
            try {
                targets.of(entry).unlock(entry);
            } catch (ActivationException e) {
                events.targetStep(entry.target(), "could not unlock " + entry.service() + ": " + e.getMessage());
            }
        }
    }

    private DeployResult changeAndUndoOnFailure(Plan plan, TargetSessions targets, Deque<Undo> undo, Steps steps) {
        try {
            List<Change> deactivations = deactivations(plan);
            OrderedParallel.run(deactivations, prerequisites(deactivations, true), parallel, change -> {
                ManifestEntry recorded = change.recorded().orElseThrow();
                synchronized (undo) {
                    undo.push(new Undo(change, recorded, true));
                }
                run(change, false, () -> targets.of(recorded).deactivate(recorded));
                steps.done(stepName(change));
            });
            List<Change> activations = activations(plan);
            // Undone in reverse activation order, so that dependants are put back before what they depend on.
            for (Change change : activations) {
                undo.push(change.action() == Action.ACTIVATE ? new Undo(change, change.desired().orElseThrow(), false)
                        : new Undo(change, change.recorded().orElseThrow(), true));
            }
            List<List<Change>> batches = List.copyOf(installBatches(plan).values());
            OrderedParallel.run(batches, sameTarget(batches, b -> b.get(0).target()), parallel, batch -> {
                List<ManifestEntry> entries = batch.stream().map(c -> c.desired().orElseThrow()).toList();
                targets.of(entries.get(0)).install(entries);
                steps.done(installStepName(batch));
            });
            OrderedParallel.run(activations, prerequisites(activations, false), parallel, change -> {
                ManifestEntry desired = change.desired().orElseThrow();
                run(change, false, () -> targets.of(desired).activate(desired));
                steps.done(stepName(change));
            });
            List<String> touched = List.copyOf(new TreeSet<>(plan.changes().stream().map(Change::target).toList()));
            OrderedParallel.run(touched, t -> Set.of(), parallel, target -> targets.of(target).flush());
            steps.done(FINISH);
            return new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of());
        } catch (ActivationException failure) {
            List<String> notUndone = putBack(undo, targets);
            return new DeployResult(notUndone.isEmpty() ? DeployResult.Outcome.FAILED_AND_UNDONE
                    : DeployResult.Outcome.FAILED_NOT_UNDONE, Optional.of(failure), notUndone);
        }
    }

    /**
     * What each change waits for: the change before it on its target, and the changes of the services it
     * depends on (for activations) or that depend on it (for deactivations), on any target.
     */
    private static OrderedParallel.Prerequisites<Change> prerequisites(List<Change> changes, boolean deactivating) {
        OrderedParallel.Prerequisites<Change> sameTarget = sameTarget(changes, Change::target);
        return change -> {
            Set<Change> before = new java.util.HashSet<>(sameTarget.of(change));
            ManifestEntry entry = deactivating ? change.recorded().orElseThrow() : change.desired().orElseThrow();
            for (Change other : changes) {
                ManifestEntry otherEntry = deactivating ? other.recorded().orElseThrow() : other.desired().orElseThrow();
                boolean otherFirst = deactivating ? otherEntry.dependsOn().contains(entry.service())
                        : entry.dependsOn().contains(otherEntry.service());
                if (otherFirst && other != change) {
                    before.add(other);
                }
            }
            return before;
        };
    }

    /** Each item waits for the one before it on the same target. */
    private static <T> OrderedParallel.Prerequisites<T> sameTarget(List<T> items, java.util.function.Function<T, String> target) {
        Map<T, T> previous = new java.util.IdentityHashMap<>();
        Map<String, T> last = new LinkedHashMap<>();
        for (T item : items) {
            T before = last.put(target.apply(item), item);
            if (before != null) {
                previous.put(item, before);
            }
        }
        return item -> previous.containsKey(item) ? Set.of(previous.get(item)) : Set.of();
    }

    private List<String> putBack(Deque<Undo> undo, TargetSessions targets) {
        List<String> notUndone = new ArrayList<>();
        Set<String> touched = new TreeSet<>();
        while (!undo.isEmpty()) {
            Undo step = undo.pop();
            touched.add(step.entry().target());
            try {
                run(step.change(), true, () -> {
                    if (step.activate()) {
                        targets.of(step.entry()).activate(step.entry());
                    } else {
                        targets.of(step.entry()).deactivate(step.entry());
                    }
                });
            } catch (ActivationException e) {
                notUndone.add(step.change().id() + ": " + e.getMessage());
            }
        }
        for (String target : touched) {
            try {
                targets.of(target).flush();
            } catch (ActivationException e) {
                notUndone.add(e.getMessage());
            }
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

    /** Copies the packages into the stores and makes the instance directories; {@code added} gets, per target, what was not there. */
    private void distribute(Plan plan, TargetSessions targets, Map<String, List<Path>> added) throws PlanningException {
        Map<String, List<ManifestEntry>> byTarget = new LinkedHashMap<>();
        for (Change change : plan.changes()) {
            change.desired().ifPresent(entry -> byTarget.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry));
        }
        try {
            OrderedParallel.run(List.copyOf(byTarget.keySet()), t -> Set.of(), parallel, target -> {
                List<Path> addedHere = new ArrayList<>();
                added.put(target, addedHere);
                for (ManifestEntry entry : byTarget.get(target)) {
                    try {
                        List<Path> copied = session(targets, target).putPackage(entry);
                        addedHere.addAll(copied);
                        if (!entry.packagePath().isEmpty() && copied.contains(Path.of(entry.packagePath()))) {
                            String source = Path.of(entry.packageSource()).getFileName().toString();
                            String stored = Path.of(entry.packagePath()).getFileName().toString();
                            events.targetStep(target, "copied " + Messages.printable(source) + " into the store as "
                                    + Messages.printable(stored));
                        }
                    } catch (PlanningException e) {
                        throw new ActivationException(target, e.getMessage(), e);
                    }
                }
            });
        } catch (ActivationException e) {
            throw new PlanningException(e.getCause() instanceof PlanningException p ? p.getMessage() : e.getMessage(), e);
        }
    }

    /**
     * After a clean undo the targets run the recorded instances again; what this deployment added to the
     * stores for anything else is referred to by nothing, so the stores are put back as they were too.
     */
    private void removeFromStores(Plan plan, TargetSessions targets, Map<String, List<Path>> added) {
        Set<Path> stillUsed = new java.util.HashSet<>();
        for (ManifestEntry entry : plan.recorded().entries()) {
            // A recorded instance whose directory had gone (drift) got it back from this deployment's undo.
            stillUsed.add(Path.of(entry.instanceDirectory()));
            if (!entry.packagePath().isEmpty()) {
                stillUsed.add(Path.of(entry.packagePath()));
            }
        }
        Map<String, Path> stateDirectories = stateDirectories(plan);
        for (Map.Entry<String, List<Path>> target : added.entrySet()) {
            List<Path> unused = new ArrayList<>(target.getValue());
            unused.removeAll(stillUsed);
            if (unused.isEmpty()) {
                continue;
            }
            try {
                targets.of(target.getKey()).removeFromStore(stateDirectories.get(target.getKey()), unused);
            } catch (ActivationException | PlanningException e) {
                events.targetStep(target.getKey(), "could not remove what this deployment put into the store: " + e.getMessage());
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
