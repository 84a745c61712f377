package dev.beckon.planner.deploy;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.manifest.ManifestResolver;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.planner.plan.Inspector;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.state.StateDirectories;
import dev.beckon.planner.store.GarbageCollector;
import dev.beckon.planner.store.StoreRoots;
import dev.beckon.planner.target.TargetConnector;
import dev.beckon.planner.target.TargetSessions;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.models.ModelFiles;
import dev.beckon.models.PortHints;
import dev.beckon.models.ProfileNames;
import dev.beckon.models.SystemModel;
import dev.beckon.models.Target;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One profile's deployments: what it runs now (its current generation), plans against that, and
 * deployments and rollbacks that end as new or earlier generations. The command line's one entry
 * into the planner.
 */
public final class Deployments implements AutoCloseable {
    private static final Pattern PROFILE = ProfileNames.PATTERN;

    private final String profile;
    private final ModuleFinder modules;
    /** One session per target for the whole command: a plan and the deployment after it share a connection. */
    private final TargetSessions sessions;
    private final Map<String, String> environment;
    private final Generations generations;
    /** The current generation's manifest, once read; {@code null} until then and after the current one changes. */
    private Manifest recorded;
    /** Where warnings about damaged records go: the command's progress printer, once it has given one. */
    private java.util.function.Consumer<String> notices = notice -> {};
    /** Whether the current generation's record was found damaged, so that plans start from an earlier one. */
    private boolean currentDamaged;
    /** Held from {@link #lockForChanges} until {@link #close}; deployments and rollbacks need it. */
    private DeploymentLock profileLock;

    /** How many targets a deployment works on at once. */
    private int parallel = DEFAULT_PARALLEL;
    /** What stops this command's deployments: the first Ctrl-C or SIGTERM, when the command line asks it to. */
    private Cancellation cancellation = Cancellation.NEVER;

    /** A few targets at once: enough to hide SSH round trips, few enough to keep progress readable. */
    public static final int DEFAULT_PARALLEL = 4;

    private Deployments(String profile, ModuleFinder modules, Map<String, String> environment, Generations generations) {
        this.profile = profile;
        this.modules = modules;
        this.sessions = new TargetSessions(TargetConnector.of(modules, environment), profile);
        this.environment = environment;
        this.generations = generations;
    }

    /**
     * Opens a profile kept under {@code home/profiles/PROFILE}.
     *
     * @throws PlanningException when the profile name is not valid or its repository cannot be used
     */
    public static Deployments open(Path home, String profile, ModuleFinder modules, Map<String, String> environment)
            throws PlanningException {
        if (!PROFILE.matcher(profile).matches()) {
            throw new PlanningException("profile name \"" + profile + "\" must be 1-32 lower-case letters and digits");
        }
        try {
            return new Deployments(profile, modules, environment, Generations.open(home.resolve("profiles").resolve(profile), profile));
        } catch (GenerationsException e) {
            throw new PlanningException("profile " + profile + ": " + e.getMessage(), e);
        }
    }

    /** Where beckon keeps its profiles unless told: {@code $BECKON_HOME}, else {@code $XDG_STATE_HOME/beckon}. */
    public static Path defaultHome(Map<String, String> environment) {
        String home = environment.get("BECKON_HOME");
        if (home != null && !home.isEmpty()) {
            return Path.of(home);
        }
        return StateDirectories.userStateHome(environment).resolve("beckon");
    }

    public String profile() {
        return profile;
    }

    /** Sets how many targets a deployment works on at once. */
    public void parallel(int targets) {
        if (targets < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1, not " + targets);
        }
        this.parallel = targets;
    }

    /** Lets {@code cancellation} stop this command's deployments (and recoveries) between steps. */
    public void cancellation(Cancellation cancellation) {
        this.cancellation = cancellation;
    }

    /** What the model asks for. */
    public Manifest desired(SystemModel model) throws PlanningException {
        return new ManifestResolver(modules, (Target t) -> StateDirectories.of(t, environment)).resolve(model, profile);
    }

    /** What the current generation holds; empty before the first deployment. Read once per command. */
    public Manifest recorded() throws PlanningException {
        if (recorded == null) {
            Optional<Generation> current = generations.current();
            recorded = current.isEmpty() ? Manifest.empty(profile) : manifest(current.get().number());
        }
        return recorded;
    }

    /**
     * What a plan starts from: the current generation's manifest; when that record is damaged, the newest readable
     * generation before it, with a warning, so that a rollback or a new deployment can still make another generation
     * current (the message of {@link #recorded} tells people to do just that).
     */
    private Manifest baseline() throws PlanningException {
        try {
            return recorded();
        } catch (PlanningException damaged) {
            Optional<Generation> current = generations.current();
            if (current.isEmpty()) {
                throw damaged;
            }
            List<Generation> earlier = new java.util.ArrayList<>(generations.list());
            java.util.Collections.reverse(earlier);
            for (Generation generation : earlier) {
                if (generation.number() >= current.get().number()) {
                    continue;
                }
                try {
                    Manifest readable = manifest(generation.number());
                    currentDamaged = true;
                    notices.accept("warning: " + firstSentence(damaged.getMessage()) + "; planning from generation "
                            + generation.number() + " instead, so instances only generation " + current.get().number()
                            + " had are left as they are");
                    return readable;
                } catch (PlanningException unreadableToo) {
                    // Try the one before.
                }
            }
            currentDamaged = true;
            notices.accept("warning: " + firstSentence(damaged.getMessage()) + "; no earlier generation is readable either, so"
                    + " planning as if nothing were deployed (instances only it had are left as they are)");
            return Manifest.empty(profile);
        }
    }

    /**
     * Whether the current generation's record was found damaged while planning: then even a deployment without
     * changes records a new generation, to become current in its place.
     */
    public boolean currentIsDamaged() {
        return currentDamaged;
    }

    private static String firstSentence(String message) {
        int end = message.indexOf(". ");
        return end < 0 ? message : message.substring(0, end);
    }

    /** The ports of the current generation, so that {@code "auto"} ports keep their numbers. */
    public PortHints portHints() throws PlanningException {
        Map<String, Map<String, Map<String, Integer>>> ports = new LinkedHashMap<>();
        for (ManifestEntry entry : baseline().entries()) {
            ports.computeIfAbsent(entry.target(), t -> new LinkedHashMap<>()).put(entry.service(), entry.ports());
        }
        return new PortHints(ports);
    }

    /** What the targets report for each instance of a manifest. */
    public Map<String, InstanceStatus> live(Manifest manifest) throws PlanningException {
        return new Inspector(sessions).live(manifest);
    }

    /** The plan from what runs now (recorded and live) to {@code desired}. */
    public Plan plan(Manifest desired) throws PlanningException {
        Manifest current = baseline();
        return Planner.plan(desired, current, new Inspector(sessions).live(current, desired));
    }

    /** A deployment's result and, when it succeeded with changes, the generation it became. */
    public record Outcome(DeployResult result, Optional<Generation> generation) {}

    /**
     * Takes the profile's lock for a command that changes targets or generations, then recovers from an
     * interrupted deployment if one left its journal. Held until {@link #close}.
     *
     * @throws DeploymentLock.LockedException when another live beckon holds it; nothing changed
     */
    public void lockForChanges(String command, DeployEvents events) throws PlanningException {
        notices = events::notice;
        if (profileLock == null) {
            profileLock = DeploymentLock.acquire(profileLockFile(), "profile " + profile, profile, command, events::notice);
        }
        recoverInterrupted(events);
    }

    /**
     * For commands that only read: recovers from an interrupted deployment first, unless a live beckon holds
     * the profile (then its journal is no interruption, and the command reads what is there now).
     */
    public void recoverUnlessBusy(DeployEvents events) throws PlanningException {
        notices = events::notice;
        if (IntentJournal.find(generations.directory()).isEmpty()) {
            return;
        }
        try (DeploymentLock lock = DeploymentLock.acquire(profileLockFile(), "profile " + profile, profile, "recover", events::notice)) {
            recoverInterrupted(events);
        } catch (DeploymentLock.LockedException busy) {
            events.notice("A deployment of profile " + profile + " is in progress (" + busy.holder().describe()
                    + "): what follows may change under it.");
        }
    }

    /**
     * The state directory of every target this profile knows: from its current generation and from the journal
     * of an interrupted deployment, which may name targets no generation has yet.
     */
    public Map<String, Path> knownStateDirectories() throws PlanningException {
        Map<String, Path> directories = new java.util.TreeMap<>();
        recorded().targets().forEach((name, target) -> directories.put(name, Path.of(target.stateDirectory())));
        Optional<IntentJournal.Found> journal = IntentJournal.find(generations.directory());
        if (journal.isPresent()) {
            for (Manifest manifest : List.of(journal.get().intent().from(), journal.get().intent().to())) {
                manifest.targets().forEach((name, target) -> directories.putIfAbsent(name, Path.of(target.stateDirectory())));
            }
        }
        return directories;
    }

    /** Where the profile's lock is: beside its repository's files, so that it is found with them. */
    public Path profileLockFile() {
        return generations.directory().resolve("deploy.lock");
    }

    /**
     * Deploys a plan made from a model and records it as a new generation with the model's files.
     * A plan without changes deploys nothing and records nothing. Needs {@link #lockForChanges}.
     */
    public Outcome deploy(Plan plan, ModelFiles files, String user, String message, DeployEvents events) throws PlanningException {
        requireLock();
        if (plan.isEmpty() && !currentDamaged) {
            return nothingDone();
        }
        Map<String, byte[]> models = new LinkedHashMap<>();
        try {
            for (Path file : List.of(files.services(), files.infrastructure(), files.distribution())) {
                models.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        } catch (IOException e) {
            throw new PlanningException("cannot read the model files to record them: " + e.getMessage()
                    + "; nothing was changed", e);
        }
        return deployAndRecord(plan, models, user, message, events);
    }

    /** What {@link #undeploy} would do: deactivate every instance of the current generation, on the targets it names. */
    public Plan undeployPlan() throws PlanningException {
        Manifest current = recorded();
        return plan(new Manifest(Manifest.FORMAT_VERSION, profile, current.targets(), List.of()));
    }

    /**
     * Removes everything the profile deployed and records that as a generation that runs nothing (Disnix's
     * {@code --undeploy}), so that a rollback brings it all back. It has no model files. A plan without changes
     * records nothing. Needs {@link #lockForChanges}.
     */
    public Outcome undeploy(Plan plan, String user, String message, DeployEvents events) throws PlanningException {
        requireLock();
        if (!plan.desired().entries().isEmpty()) {
            throw new IllegalArgumentException("an undeployment plan leaves nothing running; this one keeps " + plan.desired().entries().size());
        }
        return plan.isEmpty() ? nothingDone() : deployAndRecord(plan, Map.of(), user, message, events);
    }

    private static Outcome nothingDone() {
        return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()), Optional.empty());
    }

    private Outcome deployAndRecord(Plan plan, Map<String, byte[]> models, String user, String message, DeployEvents events)
            throws PlanningException {
        StoreRoots.protect(plan.desired());
        try {
            if (plan.isEmpty()) {
                // The targets run what the model says, but the current generation's record is damaged: a new one
                // replaces it as current, so that the profile works again.
                recorded = null;
                Generation generation;
                try {
                    generation = generations.record(ManifestJson.write(plan.desired()), models, user, message);
                } catch (GenerationsException e) {
                    throw new PlanningException("the new generation could not be recorded: " + e.getMessage(), e);
                }
                StoreRoots.addRecorded(plan.desired());
                currentDamaged = false;
                return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()), Optional.of(generation));
            }
            Journaled journaled = journaled(plan, IntentJournal.Kind.DEPLOY, null, models, user, message, events);
            if (journaled.result().outcome() != DeployResult.Outcome.DEPLOYED) {
                return new Outcome(journaled.finishUnlessNotUndone(), Optional.empty());
            }
            if (!currentDamaged && Arrays.equals(ManifestJson.write(plan.recorded()), ManifestJson.write(plan.desired()))) {
                // Only drift was repaired: the targets run the current generation again.
                journaled.finish();
                return new Outcome(journaled.result(), generations.current());
            }
            try {
                recorded = null;
                Generation generation = generations.record(ManifestJson.write(plan.desired()), models, user, message);
                StoreRoots.addRecorded(plan.desired());
                journaled.finish();
                return new Outcome(journaled.result(), Optional.of(generation));
            } catch (GenerationsException e) {
                throw new PlanningException("deployed, but the new generation could not be recorded: " + e.getMessage()
                        + "; the next beckon command on profile " + profile + " will record it from the journal", e);
            }
        } finally {
            StoreRoots.release(plan.desired());
        }
    }

    /** A deployment carried out under its journal, which stays until the targets are as a generation says. */
    private record Journaled(DeployResult result, IntentJournal journal) {
        DeployResult finishUnlessNotUndone() throws PlanningException {
            if (result.outcome() != DeployResult.Outcome.FAILED_NOT_UNDONE && journal != null) {
                journal.finish();
            }
            return result;
        }

        void finish() throws PlanningException {
            journal.recorded();
            journal.finish();
        }
    }

    private Journaled journaled(Plan plan, IntentJournal.Kind kind, Integer toGeneration, Map<String, byte[]> models, String user,
            String message, DeployEvents events) throws PlanningException {
        Integer fromGeneration = generations.current().map(Generation::number).orElse(null);
        IntentJournal[] opened = new IntentJournal[1];
        DeployResult result = new Deployer(sessions, events, parallel, cancellation).deploy(plan, steps -> {
            IntentJournal.Intent intent = new IntentJournal.Intent(IntentJournal.FORMAT_VERSION, kind, profile, fromGeneration,
                    toGeneration, plan.recorded(), plan.desired(), models, user, message, steps, ProcessHandle.current().pid(),
                    java.time.Instant.now().toString());
            opened[0] = IntentJournal.begin(generations.directory(), intent, environment);
            return opened[0];
        });
        return new Journaled(result, opened[0]);
    }

    private void requireLock() {
        if (profileLock == null) {
            throw new IllegalStateException("profile " + profile + " must be locked (lockForChanges) before it is changed");
        }
    }

    /**
     * Brings the targets of an interrupted deployment back to the generation that was current when it
     * started, or, when every step of it was done, records the generation it was making.
     */
    private void recoverInterrupted(DeployEvents events) throws PlanningException {
        Optional<IntentJournal.Found> found = IntentJournal.find(generations.directory());
        if (found.isEmpty()) {
            return;
        }
        IntentJournal.Intent intent = found.get().intent();
        events.notice("An interrupted " + intent.describe() + " left its journal (" + generations.directory().resolve(
                IntentJournal.INTENT_FILE) + "): started " + intent.started() + " by " + intent.user() + ", pid " + intent.pid() + "; "
                + found.get().stepsDone() + " of " + intent.steps().size() + " steps done.");
        recorded = null;
        if (found.get().everyStepDone()) {
            recordFromJournal(intent, events);
        } else {
            String back = intent.fromGeneration() == null ? "the state before the first deployment"
                    : "generation " + intent.fromGeneration();
            events.notice("Bringing the targets back to " + back + ":");
            Plan plan = Planner.recovery(intent.from(), intent.to(), live(intent.from()), live(intent.to()));
            if (plan.isEmpty()) {
                events.notice("They already run " + back + ".");
            } else {
                DeployResult result = new Deployer(sessions, events, parallel, cancellation).deploy(plan, Deployer.WITHOUT_JOURNAL);
                if (result.outcome() != DeployResult.Outcome.DEPLOYED) {
                    throw new PlanningException("could not bring the targets back to " + back + ": "
                            + result.failure().map(Exception::getMessage).orElse("") + ". The journal is kept; fix the cause "
                            + "and run beckon again on profile " + profile);
                }
            }
            if (intent.fromGeneration() != null && generations.current().map(Generation::number).orElse(-1) != intent.fromGeneration()) {
                makeCurrent(intent.fromGeneration());
            }
            events.notice("Recovered: the targets run " + back + ".");
        }
        try {
            TargetSessions targets = sessions.know(intent.from(), intent.to());
            for (Manifest manifest : List.of(intent.from(), intent.to())) {
                for (Manifest.TargetRecord target : manifest.targets().values()) {
                    if (targets.of(target.name()).removeStaleLock(Path.of(target.stateDirectory())).isPresent()) {
                        events.notice("Removed the lock the interrupted deployment left on target " + target.name() + ".");
                    }
                }
            }
        } catch (dev.beckon.activation.ActivationException e) {
            throw new PlanningException("recovered, but cannot reach target " + e.instance() + " to remove the lock the interrupted "
                    + "deployment left: " + e.getMessage(), e);
        }
        IntentJournal.remove(generations.directory());
        recorded = null;
    }

    private void recordFromJournal(IntentJournal.Intent intent, DeployEvents events) throws PlanningException {
        if (intent.kind() == IntentJournal.Kind.ROLLBACK) {
            makeCurrent(intent.toGeneration());
            events.notice("Every step was done: generation " + intent.toGeneration() + " is current again.");
            return;
        }
        byte[] wanted = ManifestJson.write(intent.to());
        try {
            Optional<Generation> current = generations.current();
            if (current.isPresent() && Arrays.equals(generations.manifest(current.get().number()), wanted)) {
                events.notice("Every step was done and generation " + current.get().number() + " was recorded.");
                return;
            }
            Generation generation = generations.record(wanted, intent.models(), intent.user(), intent.message());
            events.notice("Every step was done: recorded it as generation " + generation.number() + ".");
        } catch (GenerationsException e) {
            throw new PlanningException("cannot record the interrupted deployment's generation: " + e.getMessage(), e);
        }
    }

    private void makeCurrent(int number) throws PlanningException {
        try {
            generations.makeCurrent(number);
        } catch (GenerationsException e) {
            throw new PlanningException("generation " + number + " could not be made current: " + e.getMessage(), e);
        }
    }

    /** The generation a rollback goes to: {@code to}, or the one before the current one. */
    public Generation rollbackTarget(Optional<Integer> to) throws PlanningException {
        if (to.isPresent()) {
            return generations.list().stream().filter(g -> g.number() == to.get()).findFirst().orElseThrow(() ->
                    new PlanningException("there is no generation " + to.get() + "; kept: " + numbers()));
        }
        return generations.previous().orElseThrow(() -> new PlanningException(generations.current().isEmpty()
                ? "profile " + profile + " has no deployment yet; nothing to roll back to"
                : "generation " + generations.current().get().number() + " is the oldest kept; nothing to roll back to"));
    }

    /** Deploys an earlier generation as it was recorded and makes it current. No model files are needed. */
    public Outcome rollback(Generation to, DeployEvents events) throws PlanningException {
        requireLock();
        Plan plan = plan(manifest(to.number()));
        StoreRoots.protect(plan.desired());
        try {
            if (!plan.isEmpty()) {
                Journaled journaled = journaled(plan, IntentJournal.Kind.ROLLBACK, to.number(), Map.of(),
                        System.getProperty("user.name"), "", events);
                if (journaled.result().outcome() != DeployResult.Outcome.DEPLOYED) {
                    return new Outcome(journaled.finishUnlessNotUndone(), Optional.empty());
                }
                recorded = null;
                makeCurrent(to.number());
                StoreRoots.addRecorded(plan.desired());
                journaled.finish();
            } else {
                recorded = null;
                makeCurrent(to.number());
                StoreRoots.addRecorded(plan.desired());
            }
        } finally {
            StoreRoots.release(plan.desired());
        }
        return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()),
                generations.current().filter(g -> g.number() == to.number()));
    }

    /** The plan a rollback would carry out. */
    public Plan rollbackPlan(Generation to) throws PlanningException {
        return plan(manifest(to.number()));
    }

    /**
     * What differs from generation {@code from} to generation {@code to}, as the plan that would take the targets
     * from one to the other if they ran {@code from} as recorded.
     */
    public Plan difference(int from, int to) throws PlanningException {
        for (int number : List.of(from, to)) {
            if (generations.list().stream().noneMatch(g -> g.number() == number)) {
                throw new PlanningException("profile " + profile + " keeps no generation " + number + "; kept: "
                        + (generations.list().isEmpty() ? "none" : numbers()) + " (see beckon generations)");
            }
        }
        return Planner.plan(manifest(to), manifest(from), Map.of());
    }

    public List<Generation> generations() {
        return generations.list();
    }

    /** Drops this profile's old generations and the store entries only they needed ({@code beckon gc}). */
    public GarbageCollector garbageCollector() {
        return new GarbageCollector(generations);
    }

    /** Checks the store entries of this profile's kept generations ({@code beckon verify}). */
    public dev.beckon.planner.store.StoreVerifier storeVerifier() {
        return new dev.beckon.planner.store.StoreVerifier(generations);
    }

    private Manifest manifest(int generation) throws PlanningException {
        try {
            return ManifestJson.read(generations.manifest(generation), "generation " + generation + " of profile " + profile);
        } catch (IOException | GenerationsException e) {
            throw new PlanningException(e.getMessage() + " (in " + generations.directory() + "). Nothing was changed. If "
                    + "generation " + generation + " is the current one, `beckon rollback --to N` to a readable generation, or a "
                    + "deployment of the model, makes another one current.", e);
        }
    }

    private String numbers() {
        return String.join(", ", generations.list().stream().map(g -> String.valueOf(g.number())).toList());
    }

    @Override
    public void close() throws PlanningException {
        try {
            if (profileLock != null) {
                profileLock.close();
            }
        } finally {
            sessions.close();
            generations.close();
        }
    }
}
