package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.Action;
import dev.beckon.planner.plan.Change;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.plan.Waves;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.target.LocalTargetSession;
import dev.beckon.planner.target.TargetSessions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Carries out a plan as a sequence of {@link Step}s: lock the targets, copy packages into their stores, ask
 * the running instances that change, deactivate what goes (dependants first), then level by level of the
 * dependency graph install, reload and activate what comes or changes, and reload once more at the end. Every
 * step pushes its inverse as it begins; on any failure the inverses are replayed in reverse across targets,
 * so every target runs what it ran before.
 *
 * <p>Going live by dependency level means no new definition becomes live before what it depends on is
 * activated: a connection, or {@code Restart=}, can start only an old dependant, or a new one whose
 * dependencies are already upgraded. A target is reloaded at most once per level at which it installs,
 * plus once at the end.
 *
 * <p>Targets are worked on in parallel, up to a bound; on each target the steps run one at a time in order,
 * and across targets an instance waits for what it depends on wherever that runs.
 */
public final class Deployer {
    private final TargetSessions sessions;
    private final DeployEvents events;
    private final int parallel;
    private final Cancellation cancellation;
    /** How long an SSH target waits for this deployer to confirm it before it puts itself back. */
    private Duration confirmTimeout = DEFAULT_CONFIRM_TIMEOUT;

    /** deploy-rs's: long enough for a slow new SSH connection, short enough that a lost target is soon itself again. */
    public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    /** Sets how long SSH targets wait for the confirmation after the deployment has activated what changes there. */
    public Deployer confirmTimeout(Duration timeout) {
        this.confirmTimeout = timeout;
        return this;
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
     * @param sessions the command's target sessions, which it keeps open
     * @param parallel how many targets are worked on at once
     */
    public Deployer(TargetSessions sessions, DeployEvents events, int parallel) {
        this(sessions, events, parallel, Cancellation.NEVER);
    }

    /**
     * @param cancellation once requested, no new step begins; the running ones finish and what was done is undone
     */
    public Deployer(TargetSessions sessions, DeployEvents events, int parallel, Cancellation cancellation) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
        }
        this.sessions = sessions;
        this.events = events;
        this.parallel = parallel;
        this.cancellation = cancellation;
    }

    /**
     * Deploys the plan, journaling each step when {@code journal} opens one. The journal is opened once the
     * packages are in the stores: a deployment that cannot copy them leaves no journal, and nothing in the stores.
     *
     * @throws PlanningException when it cannot start (a target locked or unreachable, its store or the journal not
     *     writable); then no service was changed
     */
    public DeployResult deploy(Plan plan, JournalOpener journal) throws PlanningException {
        return deploy(plan, Waves.NONE, journal);
    }

    /**
     * Deploys the plan in {@code waves}: each wave's changes, then (but for the last) the gate that its instances stay
     * ready and healthy for the pause. A failure undoes the wave it happened in and, unless the waves keep what is done,
     * every wave before it.
     */
    public DeployResult deploy(Plan plan, Waves waves, JournalOpener journal) throws PlanningException {
        Execution execution = new Execution(sessions.know(plan.desired(), plan.recorded()), events);
        Steps steps = Steps.of(plan, waves, confirmTimeout);
        // Undone whatever the outcome: the locks.
        UndoLog held = new UndoLog();
        UndoLog changes = new UndoLog();
        PlanningException cannotStart = null;
        try {
            for (LockTarget lock : steps.locks()) {
                Optional<String> stopped = cancellation.requested();
                if (stopped.isPresent()) {
                    throw new PlanningException("stopped by " + stopped.get() + " before the deployment began; nothing was changed");
                }
                lock.run(execution, held);
            }
            try {
                schedule(steps.distribute(), execution, changes, false);
                execution.journal(journal.begin(steps.journaled()));
                for (Step step : steps.distribute()) {
                    execution.stepDone(step.name());
                }
            } catch (ActivationException e) {
                changes.replay(execution);
                throw new PlanningException(e.getMessage() + "; no service was changed", e);
            } catch (PlanningException e) {
                changes.replay(execution);
                throw e;
            }
            // Keeping the waves done: each wave's inverses apart, so that only the failing one's are replayed.
            UndoLog wave = changes;
            int wavesDone = 0;
            try {
                schedule(steps.lockInstances(), execution, held, false);
                for (WaveSteps next : steps.waves()) {
                    if (waves.isStaged()) {
                        events.notice("Wave " + (next.index() + 1) + " of " + waves.targets().size() + ": "
                                + String.join(", ", waves.targets().get(next.index())));
                    }
                    wave = waves.keepDone() ? new UndoLog() : changes;
                    for (List<Step> phase : next.phases()) {
                        schedule(phase, execution, wave, true);
                    }
                    wavesDone = next.index() + 1;
                }
                schedule(steps.confirmations(), execution, changes, true);
                execution.journalDurable();
                return new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of());
            } catch (ActivationException failure) {
                List<String> notUndone = new ArrayList<>(wave.replay(execution));
                if (wave != changes && (wavesDone == 0 || !notUndone.isEmpty())) {
                    // Nothing kept: what was copied into the stores goes too, as after any failure.
                    notUndone.addAll(changes.replay(execution));
                }
                boolean kept = waves.keepDone() && wavesDone > 0 && notUndone.isEmpty();
                if (!execution.unconfirmed().isEmpty() && notUndone.isEmpty()) {
                    return new DeployResult(DeployResult.Outcome.UNCONFIRMED_ROLLED_BACK, Optional.of(failure), notUndone);
                }
                return new DeployResult(notUndone.isEmpty() ? DeployResult.Outcome.FAILED_AND_UNDONE
                        : DeployResult.Outcome.FAILED_NOT_UNDONE, Optional.of(failure), notUndone, kept ? wavesDone : 0);
            }
        } catch (ActivationException e) {
            cannotStart = e.getCause() instanceof PlanningException p ? p : new PlanningException(e.getMessage(), e);
            throw cannotStart;
        } catch (PlanningException e) {
            cannotStart = e;
            throw e;
        } finally {
            execution.closeJournal();
            ActivationException release = held.release(execution);
            if (release != null && cannotStart == null) {
                throw release.getCause() instanceof PlanningException p ? p : new PlanningException(release.getMessage(), release);
            }
        }
    }

    /**
     * Runs steps on their targets, in parallel across targets: each waits for the step before it on its
     * target and, when {@code dependencies}, for the steps of the instances it must follow, wherever they run.
     */
    private void schedule(List<Step> phase, Execution execution, UndoLog undo, boolean journaled) throws ActivationException {
        OrderedParallel.Prerequisites<Step> order = sameTarget(phase);
        OrderedParallel.Prerequisites<Step> dependencies = dependencyOrder(phase);
        OrderedParallel.run(phase, step -> {
            // By identity: a step's equality is that of its whole record (an install's holds every manifest entry it installs).
            Set<Step> before = identitySet();
            before.addAll(order.of(step));
            before.addAll(dependencies.of(step));
            return before;
        }, parallel, cancellation::requested, step -> {
            step.run(execution, undo);
            if (journaled) {
                execution.stepDone(step.name());
            }
        });
    }

    /**
     * The confirmations the plan's SSH targets wait for once everything is activated, one per changed target that is
     * not this machine; journaled, so that a deployer killed before confirming is recovered to what the targets put
     * themselves back to.
     */
    static List<Step> confirmationsOf(Plan plan, Duration timeout) {
        Set<String> changed = new TreeSet<>(plan.changes().stream().map(Change::target).toList());
        List<Step> steps = new ArrayList<>();
        for (String target : changed) {
            Optional<Manifest.TargetRecord> record = Optional.ofNullable(plan.desired().targets().get(target))
                    .or(() -> Optional.ofNullable(plan.recorded().targets().get(target)));
            if (record.isEmpty() || dev.beckon.models.TargetHost.parse(record.get().host()).isLocal()) {
                continue;
            }
            steps.add(new ConfirmTarget(target, Path.of(record.get().stateDirectory()), on(plan.desired(), target),
                    on(plan.recorded(), target), timeout));
        }
        return steps;
    }

    private static List<ManifestEntry> on(Manifest manifest, String target) {
        return manifest.entries().stream().filter(entry -> entry.target().equals(target)).toList();
    }

    /** The steps a plan takes, in order, as its journal lists them. */
    static List<String> stepNames(Plan plan) {
        return Steps.of(plan, Waves.NONE).journaled();
    }

    /**
     * The steps of one wave, in phases: what goes, level by level what comes, a last reload, and (but for the last wave)
     * the gate.
     *
     * @param index the wave's place among the resolved waves, from 0
     */
    private record WaveSteps(int index, List<List<Step>> phases) {}

    /**
     * The steps of a plan, in phases: those of one phase run in parallel across targets, in order on each;
     * a phase begins when the one before it is done everywhere.
     */
    private record Steps(List<LockTarget> locks, List<Step> distribute, List<Step> lockInstances, List<WaveSteps> waves,
            List<Step> confirmations) {
        static Steps of(Plan plan, Waves waves, Duration confirmTimeout) {
            Steps steps = of(plan, waves);
            return new Steps(steps.locks, steps.distribute, steps.lockInstances, steps.waves, confirmationsOf(plan, confirmTimeout));
        }

        static Steps of(Plan plan, Waves waves) {
            Map<String, Path> stateDirectories = stateDirectories(plan);
            List<LockTarget> locks = new ArrayList<>();
            stateDirectories.forEach((target, directory) -> locks.add(new LockTarget(target, directory)));

            Set<Path> keep = new HashSet<>();
            for (ManifestEntry entry : plan.recorded().entries()) {
                // A recorded instance whose directory had gone (drift) gets it back from this deployment's undo.
                keep.add(Path.of(entry.instanceDirectory()));
                if (!entry.packagePath().isEmpty()) {
                    keep.add(Path.of(entry.packagePath()));
                }
            }
            Map<String, List<ManifestEntry>> copies = new LinkedHashMap<>();
            Map<String, List<ManifestEntry>> running = new LinkedHashMap<>();
            for (Change change : plan.changes()) {
                change.desired().ifPresent(entry -> copies.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry));
                change.recorded().ifPresent(entry -> running.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry));
            }
            unchangedDependants(plan).forEach(entry -> running.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry));
            List<Step> distribute = new ArrayList<>();
            copies.forEach((target, entries) -> distribute.add(new Distribute(target, stateDirectories.get(target), entries, keep)));
            List<Step> lockInstances = new ArrayList<>();
            running.forEach((target, entries) -> lockInstances.add(new LockInstances(target, entries)));

            if (!waves.isStaged()) {
                return new Steps(locks, distribute, lockInstances, List.of(new WaveSteps(0, changes(plan, plan.changes(),
                        stateDirectories.keySet()))), List.of());
            }
            List<WaveSteps> staged = new ArrayList<>();
            int last = -1;
            for (int i = 0; i < waves.targets().size(); i++) {
                Set<String> here = new TreeSet<>(waves.targets().get(i));
                if (plan.changes().stream().anyMatch(c -> here.contains(c.target()))) {
                    last = i;
                }
            }
            for (int i = 0; i <= last; i++) {
                Set<String> here = new TreeSet<>(waves.targets().get(i));
                List<Change> changes = plan.changes().stream().filter(c -> here.contains(c.target())).toList();
                if (changes.isEmpty()) {
                    continue;
                }
                Set<String> changed = new TreeSet<>();
                changes.forEach(c -> changed.add(c.target()));
                List<List<Step>> phases = new ArrayList<>(changes(plan, changes, changed));
                if (i < last) {
                    List<Step> gate = new ArrayList<>();
                    for (String target : changed) {
                        List<ManifestEntry> wanted = plan.desired().entries().stream().filter(e -> e.target().equals(target)).toList();
                        gate.add(new HealthyFor(target, i + 1, wanted, waves.pause()));
                    }
                    phases.add(gate);
                }
                staged.add(new WaveSteps(i, phases));
            }
            return new Steps(locks, distribute, lockInstances, staged, List.of());
        }

        /** What goes, level by level what comes, and a last reload of each target, for {@code changes} of the plan. */
        private static List<List<Step>> changes(Plan plan, List<Change> changes, Set<String> targets) {
            List<List<Step>> phases = new ArrayList<>();
            phases.add(deactivations(plan, changes));
            phases.addAll(levels(changes));
            List<Step> finish = new ArrayList<>();
            targets.forEach(target -> finish.add(new Reload(target, "the end, and verify")));
            phases.add(finish);
            return phases;
        }

        List<String> journaled() {
            List<String> names = new ArrayList<>();
            distribute.forEach(step -> names.add(step.name()));
            waves.forEach(wave -> wave.phases().forEach(phase -> phase.forEach(step -> names.add(step.name()))));
            confirmations.forEach(step -> names.add(step.name()));
            return names;
        }
    }

    /**
     * The running instances that stay as they are but depend, directly or through others, on a service that changes:
     * their lock is asked too (Disnix's lock), so that a dependant such as a proxy may drain or refuse while what it
     * depends on changes.
     */
    static List<ManifestEntry> unchangedDependants(Plan plan) {
        Set<String> changing = new HashSet<>();
        Set<String> changingIds = new HashSet<>();
        for (Change change : plan.changes()) {
            changing.add(change.service());
            changingIds.add(change.id());
        }
        Set<String> staying = new HashSet<>();
        plan.desired().entries().forEach(entry -> staying.add(entry.id()));
        List<ManifestEntry> candidates = plan.recorded().entries().stream()
                .filter(entry -> !changingIds.contains(entry.id()) && staying.contains(entry.id())).toList();
        List<ManifestEntry> dependants = new ArrayList<>();
        Set<String> affected = new HashSet<>(changing);
        for (boolean grew = true; grew; ) {
            grew = false;
            for (ManifestEntry entry : candidates) {
                if (!dependants.contains(entry) && entry.dependsOn().stream().anyMatch(affected::contains)) {
                    dependants.add(entry);
                    affected.add(entry.service());
                    grew = true;
                }
            }
        }
        return dependants;
    }

    /** What goes and the old halves of replacements, dependants first: in reverse of the recorded order. */
    private static List<Step> deactivations(Plan plan, List<Change> changes) {
        Map<String, Integer> recordedOrder = new HashMap<>();
        List<ManifestEntry> recorded = plan.recorded().entries();
        for (int i = 0; i < recorded.size(); i++) {
            recordedOrder.putIfAbsent(recorded.get(i).id(), i);
        }
        return changes.stream()
                .filter(c -> c.action() == Action.DEACTIVATE || c.action() == Action.REPLACE)
                .sorted(Comparator.comparing((Change c) -> -recordedOrder.getOrDefault(c.id(), 0)))
                .map(c -> (Step) new Deactivate(c))
                .toList();
    }

    /**
     * The activations by dependency level: level 0 depends on nothing this plan activates, level n + 1 on
     * something of level n. Each level installs (one batch per module session), reloads and activates, in
     * the plan's order within the level; the new instances of a level on a target are first started together
     * ({@link StartTogether}), so that each activation after finds its sockets listening and only verifies them.
     */
    private static List<List<Step>> levels(List<Change> changes) {
        List<Change> activations = changes.stream().filter(c -> c.action() != Action.DEACTIVATE).toList();
        Map<String, List<Change>> byService = new HashMap<>();
        activations.forEach(c -> byService.computeIfAbsent(c.service(), s -> new ArrayList<>()).add(c));
        Map<Change, Integer> level = new IdentityHashMap<>();
        for (Change change : activations) {
            levelOf(change, byService, level, identitySet());
        }
        int deepest = level.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        List<List<Step>> phases = new ArrayList<>();
        for (int n = 0; n <= deepest; n++) {
            int at = n;
            List<Change> here = activations.stream().filter(c -> level.get(c) == at).toList();
            Map<String, List<Change>> batches = new LinkedHashMap<>();
            here.forEach(c -> batches.computeIfAbsent(LocalTargetSession.key(c.desired().orElseThrow()), k -> new ArrayList<>()).add(c));
            List<Step> phase = new ArrayList<>();
            Set<String> reloaded = new TreeSet<>();
            for (List<Change> batch : batches.values()) {
                ManifestEntry first = batch.get(0).desired().orElseThrow();
                phase.add(new Install(first.target(), first.type(), at, batch));
                reloaded.add(first.target());
            }
            reloaded.forEach(target -> phase.add(new Reload(target, "level " + at)));
            Map<String, List<Change>> newByTarget = new LinkedHashMap<>();
            here.stream().filter(c -> c.action() == Action.ACTIVATE)
                    .forEach(c -> newByTarget.computeIfAbsent(c.target(), t -> new ArrayList<>()).add(c));
            newByTarget.forEach((target, fresh) -> {
                if (fresh.size() > 1) {
                    phase.add(new StartTogether(target, at, fresh));
                }
            });
            here.forEach(c -> phase.add(new Activate(c, at)));
            phases.add(phase);
        }
        return phases;
    }

    /** A set of steps or changes by identity: each is one object per deployment, and hashing their records is deep. */
    private static <T> Set<T> identitySet() {
        return java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    }

    private static int levelOf(Change change, Map<String, List<Change>> byService, Map<Change, Integer> level, Set<Change> visiting) {
        Integer known = level.get(change);
        if (known != null) {
            return known;
        }
        if (!visiting.add(change)) {
            throw new IllegalStateException("the services depend on each other in a cycle through " + change.id());
        }
        int mine = 0;
        for (String dependency : change.desired().orElseThrow().dependsOn()) {
            for (Change other : byService.getOrDefault(dependency, List.of())) {
                if (other != change) {
                    mine = Math.max(mine, levelOf(other, byService, level, visiting) + 1);
                }
            }
        }
        level.put(change, mine);
        return mine;
    }

    /** Each step waits for the one before it on the same target. */
    private static <T extends Step> OrderedParallel.Prerequisites<T> sameTarget(List<T> steps) {
        Map<T, T> previous = new IdentityHashMap<>();
        Map<String, T> last = new LinkedHashMap<>();
        for (T step : steps) {
            T before = last.put(step.target(), step);
            if (before != null) {
                previous.put(step, before);
            }
        }
        return step -> previous.containsKey(step) ? Set.of(previous.get(step)) : Set.of();
    }

    /**
     * What a deactivation waits for: the deactivations of what depends on it, on any target. Activations
     * need nothing here: what they depend on is of an earlier level, so done before their phase begins.
     */
    private static OrderedParallel.Prerequisites<Step> dependencyOrder(List<Step> phase) {
        Map<Step, Set<Step>> before = new IdentityHashMap<>();
        Function<Step, Optional<ManifestEntry>> deactivated = step -> step instanceof Deactivate d ? Optional.of(d.entry())
                : Optional.empty();
        for (Step step : phase) {
            Optional<ManifestEntry> entry = deactivated.apply(step);
            if (entry.isEmpty()) {
                continue;
            }
            for (Step other : phase) {
                Optional<ManifestEntry> dependant = deactivated.apply(other);
                if (other != step && dependant.isPresent() && dependant.get().dependsOn().contains(entry.get().service())) {
                    before.computeIfAbsent(step, s -> identitySet()).add(other);
                }
            }
        }
        return step -> before.getOrDefault(step, Set.of());
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
