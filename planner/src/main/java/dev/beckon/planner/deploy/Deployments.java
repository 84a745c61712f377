package dev.beckon.planner.deploy;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestResolver;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.planner.manifest.ResolvedInputs;
import dev.beckon.planner.plan.Inspector;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.planner.state.StateDirectories;
import dev.beckon.planner.store.GarbageCollector;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One profile's deployments: what it runs now (its current generation), plans against that, and
 * deployments and rollbacks that end as new or earlier generations. The command line's one entry
 * into the planner; it hands recording ({@link GenerationRecorder}), recovery from an interrupted
 * deployment ({@link InterruptedDeploymentRecovery}) and rollbacks ({@link Rollbacks}) on.
 */
public final class Deployments implements AutoCloseable {
    private static final Pattern PROFILE = ProfileNames.PATTERN;

    private final String profile;
    private final ModuleFinder modules;
    private final Map<String, String> environment;
    private final Generations generations;
    /** The current generation's manifest and what plans start from when it is damaged. */
    private final ProfileRecords records;
    /** Whether the last manifest {@link #desired} gave depends on files alone ({@link ManifestResolver#dependsOnlyOnFiles}). */
    private boolean resolvedFromFilesOnly;
    private final ProfileTargets targets;
    private final GenerationRecorder recorder;
    private final InterruptedDeploymentRecovery recovery;
    private final Rollbacks rollbacks;
    /** beckon's home: the profiles, and the key secrets are hashed with. */
    private final Path home;
    /** Held from {@link #lockForChanges} until {@link #close}; deployments and rollbacks need it. */
    private DeploymentLock profileLock;
    /** Held with {@link #profileLock} when the profile is shared: the lock across operators (see {@link SharedLocks}). */
    private dev.beckon.planner.generations.SharedProfile.Held sharedLock;

    /** A few targets at once: enough to hide SSH round trips, few enough to keep progress readable. */
    public static final int DEFAULT_PARALLEL = 4;

    private Deployments(Path home, String profile, ModuleFinder modules, Map<String, String> environment, Generations generations) {
        this.home = home;
        this.profile = profile;
        this.modules = modules;
        this.environment = environment;
        this.generations = generations;
        this.records = new ProfileRecords(profile, generations);
        this.targets = new ProfileTargets(new TargetSessions(TargetConnector.of(modules, environment), profile), environment);
        this.records.targetRecords(new TargetRecords(targets.sessions(), targets::parallel));
        this.recorder = new GenerationRecorder(records, targets);
        this.recovery = new InterruptedDeploymentRecovery(records, targets);
        this.rollbacks = new Rollbacks(records, targets);
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
            return new Deployments(home, profile, modules, environment, Generations.open(home.resolve("profiles").resolve(profile), profile));
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
        this.targets.parallel(targets);
    }

    /** Sets how long SSH targets wait to be confirmed through a new connection before they put themselves back. */
    public void confirmTimeout(java.time.Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the confirm timeout must be more than 0");
        }
        targets.confirmTimeout(timeout);
    }

    /** Lets {@code cancellation} stop this command's deployments (and recoveries) between steps. */
    public void cancellation(Cancellation cancellation) {
        targets.cancellation(cancellation);
    }

    /** What the model asks for. */
    public Manifest desired(SystemModel model) throws PlanningException {
        ManifestResolver resolver = new ManifestResolver(modules, (Target t) -> StateDirectories.of(t, environment),
                targets.sessions().secrets(), dev.beckon.planner.manifest.SecretHashes.withKeyIn(home))
                .renderingOnTargets(targets.sessions()::render);
        Manifest desired = resolver.resolve(model, profile);
        resolvedFromFilesOnly = resolver.dependsOnlyOnFiles();
        return desired;
    }

    /**
     * The plan of a model whose files and packages are what the current generation was resolved from (see
     * {@link ResolvedInputs}), when it is empty: the generation's manifest is then what the model resolves to, known
     * without loading or resolving it, and the targets are asked (in one batch each, as always) whether they run it.
     * Empty when the model is to be resolved: it changed, a target runs something else, or the current generation's
     * record is damaged.
     */
    public Optional<Plan> planIfUnchanged(ModelFiles files) throws PlanningException {
        Manifest recorded;
        try {
            recorded = records.recorded();
        } catch (PlanningException damaged) {
            return Optional.empty(); // Planning says what is wrong with it.
        }
        if (!resolvedInputs().resolvedTo(files, () -> {
            try {
                return records.recordedDigest();
            } catch (PlanningException damaged) {
                return Optional.empty();
            }
        })) {
            return Optional.empty();
        }
        Plan plan = plan(recorded);
        if (!plan.isEmpty() || currentIsDamaged()) {
            return Optional.empty();
        }
        // For BECKON_DEBUG=1 (and the tests): that this "No changes" did not come from resolving the model.
        org.slf4j.LoggerFactory.getLogger(Deployments.class).debug("the model's files and packages are what the"
                + " current generation was resolved from: not resolved again");
        return Optional.of(plan);
    }

    /** The model's files before {@link #desired} resolves them, for {@link #rememberResolved}. */
    public ResolvedInputs.Before beforeLoading(ModelFiles files, long beganMillis) {
        return resolvedInputs().beforeLoading(files, beganMillis);
    }

    /**
     * Remembers what {@code resolved}, the last manifest {@link #desired} gave, was resolved from, now that it is the
     * current generation's manifest (a deployment made it so, or found it so); see {@link #planIfUnchanged}. A record
     * that cannot be written is only a slower next command, so it is no failure.
     */
    public void rememberResolved(ModelFiles files, ResolvedInputs.Before before, Manifest resolved) {
        try {
            resolvedInputs().remember(files, before, resolved, resolvedFromFilesOnly);
        } catch (IOException | RuntimeException e) {
            // The next command resolves the model again, as it would without a record.
        }
    }

    private ResolvedInputs resolvedInputs() {
        return ResolvedInputs.of(generations.directory(), environment);
    }

    /** What the current generation holds; empty before the first deployment. Read once per command. */
    public Manifest recorded() throws PlanningException {
        return records.recorded();
    }

    /**
     * Whether the current generation's record was found damaged while planning: then even a deployment without
     * changes records a new generation, to become current in its place.
     */
    public boolean currentIsDamaged() {
        return records.currentIsDamaged();
    }

    /** The ports of the current generation, so that {@code "auto"} ports keep their numbers. */
    public PortHints portHints() throws PlanningException {
        Map<String, Map<String, Map<String, Integer>>> ports = new LinkedHashMap<>();
        for (ManifestEntry entry : records.baseline().entries()) {
            ports.computeIfAbsent(entry.target(), t -> new LinkedHashMap<>()).put(entry.service(), entry.ports());
        }
        return new PortHints(ports);
    }

    /** What the targets report for each instance of a manifest. */
    public Map<String, InstanceStatus> live(Manifest manifest) throws PlanningException {
        return targets.live(manifest);
    }

    /** The session of one of {@code manifest}'s targets, for live work on what runs there ({@code beckon knob}). */
    public dev.beckon.planner.target.TargetSession session(Manifest manifest, String target) throws dev.beckon.activation.ActivationException {
        return targets.sessions().know(manifest).of(target);
    }

    /** The plan from what runs now (recorded and live) to {@code desired}. */
    public Plan plan(Manifest desired) throws PlanningException {
        Manifest current = records.baseline();
        return Planner.plan(desired, current, targets.inspector().live(current, desired));
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
        records.notices(events::notice);
        if (profileLock == null) {
            profileLock = DeploymentLock.acquire(profileLockFile(), "profile " + profile, profile, command, events::notice);
            if (generations.mayBeShared()) {
                sharedLock = SharedLocks.takeAndPull(generations.shared(), profile, command, events::notice).orElse(null);
            }
        }
        recovery.recoverInterrupted(events);
    }

    /**
     * For commands that only read: recovers from an interrupted deployment first, unless a live beckon holds
     * the profile (then its journal is no interruption, and the command reads what is there now).
     */
    public void recoverUnlessBusy(DeployEvents events) throws PlanningException {
        records.notices(events::notice);
        if (IntentJournal.find(generations.directory()).isEmpty()) {
            return;
        }
        try (DeploymentLock lock = DeploymentLock.acquire(profileLockFile(), "profile " + profile, profile, "recover", events::notice)) {
            recovery.recoverInterrupted(events);
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

    /** Snapshots, restores and moves of the deployed services' warm state; changes need {@link #lockForChanges}. */
    public WarmStates warmStates() {
        return new WarmStates(profile, records, targets.sessions());
    }

    /** This profile's sharing with a team's repository ({@code beckon profile}). */
    public dev.beckon.planner.generations.SharedProfile shared() {
        return generations.shared();
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
        return deploy(plan, dev.beckon.planner.plan.Waves.NONE, files, user, message, events);
    }

    /**
     * The same in waves (see {@link dev.beckon.planner.plan.Waves}).
     *
     * @throws PlanningException when the plan's dependency order cannot go in these waves; then nothing changed
     */
    public Outcome deploy(Plan plan, dev.beckon.planner.plan.Waves waves, ModelFiles files, String user, String message,
            DeployEvents events) throws PlanningException {
        requireLock();
        Optional<String> unordered = waves.orderProblem(plan);
        if (unordered.isPresent()) {
            throw new PlanningException("the waves do not fit the dependencies: " + unordered.get() + "; nothing was changed");
        }
        if (plan.isEmpty() && !records.currentIsDamaged()) {
            return GenerationRecorder.nothingDone();
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
        return recorder.deployAndRecord(plan, waves, models, user, message, events);
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
        return plan.isEmpty() ? GenerationRecorder.nothingDone() : recorder.deployAndRecord(plan, Map.of(), user, message, events);
    }

    private void requireLock() {
        if (profileLock == null) {
            throw new IllegalStateException("profile " + profile + " must be locked (lockForChanges) before it is changed");
        }
    }

    /** The generation a rollback goes to: {@code to}, or the one before the current one. */
    public Generation rollbackTarget(Optional<Integer> to) throws PlanningException {
        return rollbacks.rollbackTarget(to);
    }

    /** Deploys an earlier generation as it was recorded and makes it current. No model files are needed. */
    public Outcome rollback(Generation to, DeployEvents events) throws PlanningException {
        requireLock();
        return rollbacks.rollback(rollbackPlan(to), to, events);
    }

    /** The plan a rollback would carry out. */
    public Plan rollbackPlan(Generation to) throws PlanningException {
        return plan(records.manifest(to.number()));
    }

    /**
     * What differs from generation {@code from} to generation {@code to}, as the plan that would take the targets
     * from one to the other if they ran {@code from} as recorded.
     */
    public Plan difference(int from, int to) throws PlanningException {
        return rollbacks.difference(from, to);
    }

    public List<Generation> generations() {
        return generations.list();
    }

    /** Drops this profile's old generations and the store entries only they needed ({@code beckon gc}). */
    public GarbageCollector garbageCollector() {
        return new GarbageCollector(generations, targets.sessions().storesAsRecorded());
    }

    /**
     * An instance's log on its target ({@code beckon logs}), as its module reads it there; over SSH through the
     * target's agent, whose session later calls reuse.
     */
    public dev.beckon.activation.InstanceLog log(ManifestEntry entry, int lines, Optional<String> after) throws PlanningException {
        try {
            return targets.sessions().know(recorded()).of(entry).log(entry, lines, after);
        } catch (dev.beckon.activation.ActivationException e) {
            throw new PlanningException(e.getMessage(), e);
        }
    }

    /** Rebuilds this lost profile from what the model's targets record ({@code beckon reconstruct}); needs {@link #lockForChanges}. */
    public Reconstruction.Result reconstruct(SystemModel model, String user) throws PlanningException {
        requireLock();
        return new Reconstruction(records, targets).reconstruct(model, user);
    }

    /** Checks the store entries of this profile's kept generations ({@code beckon verify}). */
    public dev.beckon.planner.store.StoreVerifier storeVerifier() {
        return new dev.beckon.planner.store.StoreVerifier(generations);
    }

    @Override
    public void close() throws PlanningException {
        try {
            if (sharedLock != null) {
                SharedLocks.pushAndRelease(generations.shared(), sharedLock, profile);
            }
        } finally {
            closeLocally();
        }
    }

    private void closeLocally() throws PlanningException {
        try {
            if (profileLock != null) {
                profileLock.close();
            }
        } finally {
            targets.sessions().close();
            generations.close();
        }
    }
}
