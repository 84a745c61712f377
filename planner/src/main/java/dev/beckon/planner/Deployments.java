package dev.beckon.planner;

import dev.beckon.activation.InstanceStatus;
import dev.beckon.models.ModelFiles;
import dev.beckon.models.PortHints;
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
    private static final Pattern PROFILE = Pattern.compile("[a-z0-9]{1,32}");

    private final String profile;
    private final ModuleFinder modules;
    private final Map<String, String> environment;
    private final Generations generations;
    /** The current generation's manifest, once read; {@code null} until then and after the current one changes. */
    private Manifest recorded;

    private Deployments(String profile, ModuleFinder modules, Map<String, String> environment, Generations generations) {
        this.profile = profile;
        this.modules = modules;
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

    /** The ports of the current generation, so that {@code "auto"} ports keep their numbers. */
    public PortHints portHints() throws PlanningException {
        Map<String, Map<String, Map<String, Integer>>> ports = new LinkedHashMap<>();
        for (ManifestEntry entry : recorded().entries()) {
            ports.computeIfAbsent(entry.target(), t -> new LinkedHashMap<>()).put(entry.service(), entry.ports());
        }
        return new PortHints(ports);
    }

    /** What the targets report for each instance of a manifest. */
    public Map<String, InstanceStatus> live(Manifest manifest) throws PlanningException {
        return new Inspector(modules).live(manifest);
    }

    /** The plan from what runs now (recorded and live) to {@code desired}. */
    public Plan plan(Manifest desired) throws PlanningException {
        Manifest current = recorded();
        return Planner.plan(desired, current, live(current));
    }

    /** A deployment's result and, when it succeeded with changes, the generation it became. */
    public record Outcome(DeployResult result, Optional<Generation> generation) {}

    /**
     * Deploys a plan made from a model and records it as a new generation with the model's files.
     * A plan without changes deploys nothing and records nothing.
     */
    public Outcome deploy(Plan plan, ModelFiles files, String user, String message, DeployEvents events) throws PlanningException {
        if (plan.isEmpty()) {
            return new Outcome(new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of()), Optional.empty());
        }
        StoreRoots.protect(plan.desired());
        DeployResult result = new Deployer(modules, events).deploy(plan);
        if (result.outcome() != DeployResult.Outcome.DEPLOYED) {
            return new Outcome(result, Optional.empty());
        }
        if (Arrays.equals(ManifestJson.write(plan.recorded()), ManifestJson.write(plan.desired()))) {
            // Only drift was repaired: the targets run the current generation again.
            return new Outcome(result, generations.current());
        }
        Map<String, byte[]> models = new LinkedHashMap<>();
        try {
            for (Path file : List.of(files.services(), files.infrastructure(), files.distribution())) {
                models.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        } catch (IOException e) {
            throw new PlanningException("deployed, but cannot read the model files to record them: " + e.getMessage(), e);
        }
        try {
            recorded = null;
            Generation generation = generations.record(ManifestJson.write(plan.desired()), models, user, message);
            StoreRoots.addRecorded(plan.desired());
            return new Outcome(result, Optional.of(generation));
        } catch (GenerationsException e) {
            throw new PlanningException("deployed, but the new generation could not be recorded: " + e.getMessage(), e);
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
        Plan plan = plan(manifest(to.number()));
        StoreRoots.protect(plan.desired());
        DeployResult result = plan.isEmpty() ? new DeployResult(DeployResult.Outcome.DEPLOYED, Optional.empty(), List.of())
                : new Deployer(modules, events).deploy(plan);
        if (result.outcome() != DeployResult.Outcome.DEPLOYED) {
            return new Outcome(result, Optional.empty());
        }
        try {
            recorded = null;
            Generation current = generations.makeCurrent(to.number());
            StoreRoots.addRecorded(plan.desired());
            return new Outcome(result, Optional.of(current));
        } catch (GenerationsException e) {
            throw new PlanningException("rolled back, but generation " + to.number() + " could not be made current: "
                    + e.getMessage(), e);
        }
    }

    /** The plan a rollback would carry out. */
    public Plan rollbackPlan(Generation to) throws PlanningException {
        return plan(manifest(to.number()));
    }

    public List<Generation> generations() {
        return generations.list();
    }

    /** Drops this profile's old generations and the store entries only they needed ({@code beckon gc}). */
    public GarbageCollector garbageCollector() {
        return new GarbageCollector(generations);
    }

    private Manifest manifest(int generation) throws PlanningException {
        try {
            return ManifestJson.read(generations.manifest(generation), "generation " + generation + " of profile " + profile);
        } catch (IOException | GenerationsException e) {
            throw new PlanningException(e.getMessage(), e);
        }
    }

    private String numbers() {
        return String.join(", ", generations.list().stream().map(g -> String.valueOf(g.number())).toList());
    }

    @Override
    public void close() {
        generations.close();
    }
}
