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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

    /** A package or instance directory this deployment put into a target's store. */
    private record StoreAddition(String target, Path path) {}

    public Deployer(ModuleFinder modules, DeployEvents events) {
        this.modules = modules;
        this.events = events;
    }

    /**
     * Deploys the plan.
     *
     * @throws PlanningException when it cannot start (a target locked or its store not writable); then nothing changed
     */
    public DeployResult deploy(Plan plan) throws PlanningException {
        String profile = plan.desired().profile();
        Map<String, Path> stateDirectories = stateDirectories(plan);
        List<TargetLock> locks = new ArrayList<>();
        DeployResult result = null;
        try {
            for (Map.Entry<String, Path> target : stateDirectories.entrySet()) {
                events.targetStep(target.getKey(), "locking " + target.getValue());
                locks.add(TargetLock.acquire(target.getKey(), target.getValue(), profile));
            }
            List<StoreAddition> added = new ArrayList<>();
            distribute(plan, added);
            result = carryOut(plan, profile);
            if (result.outcome() == DeployResult.Outcome.FAILED_AND_UNDONE) {
                removeFromStores(plan, added);
            }
            return result;
        } finally {
            for (TargetLock lock : locks) {
                if (result != null && result.outcome() == DeployResult.Outcome.FAILED_NOT_UNDONE) {
                    lock.keep();
                } else {
                    lock.close();
                }
            }
        }
    }

    private DeployResult carryOut(Plan plan, String profile) {
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
                return changeAndUndoOnFailure(plan, profile, sessions, undo);
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

    private DeployResult changeAndUndoOnFailure(Plan plan, String profile, ModuleSessions sessions, Deque<Undo> undo) {
        try {
            for (Change change : plan.changes()) {
                if (change.action() == Action.DEACTIVATE) {
                    ManifestEntry recorded = change.recorded().orElseThrow();
                    undo.push(new Undo(change, recorded, true));
                    run(change, false, () -> sessions.of(recorded).deactivate(recorded.toInstance(profile)));
                }
            }
            Map<ModuleSession, List<ServiceInstance>> installs = new LinkedHashMap<>();
            List<Change> activations = plan.changes().stream().filter(c -> c.action() != Action.DEACTIVATE).toList();
            for (Change change : activations) {
                ManifestEntry desired = change.desired().orElseThrow();
                undo.push(change.action() == Action.ACTIVATE ? new Undo(change, desired, false)
                        : new Undo(change, change.recorded().orElseThrow(), true));
                installs.computeIfAbsent(sessions.of(desired), s -> new ArrayList<>()).add(desired.toInstance(profile));
            }
            for (Map.Entry<ModuleSession, List<ServiceInstance>> batch : installs.entrySet()) {
                batch.getKey().install(batch.getValue());
            }
            for (Change change : activations) {
                ManifestEntry desired = change.desired().orElseThrow();
                run(change, false, () -> sessions.of(desired).activate(desired.toInstance(profile)));
            }
            sessions.flushAll();
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

    /** Copies the packages into the stores and makes the instance directories; {@code added} gets what was not there. */
    private void distribute(Plan plan, List<StoreAddition> added) throws PlanningException {
        for (Change change : plan.changes()) {
            Optional<ManifestEntry> desired = change.desired();
            if (desired.isEmpty()) {
                continue;
            }
            ManifestEntry entry = desired.get();
            try {
                Path instanceDirectory = Path.of(entry.instanceDirectory());
                if (!Files.exists(instanceDirectory)) {
                    Files.createDirectories(instanceDirectory);
                    added.add(new StoreAddition(entry.target(), instanceDirectory));
                }
                if (!entry.packageSource().isEmpty()) {
                    Path source = Path.of(entry.packageSource());
                    Path destination = Path.of(entry.packagePath());
                    if (!Files.exists(destination) && !Files.exists(source)) {
                        throw new PlanningException(entry.id() + ": its package " + destination + " is not in the store, and "
                                + source + " is gone");
                    }
                    if (Store.put(source, destination)) {
                        added.add(new StoreAddition(entry.target(), destination));
                        events.targetStep(entry.target(), "copied " + source.getFileName() + " into the store as " + destination.getFileName());
                    }
                }
            } catch (IOException e) {
                throw new PlanningException(entry.id() + ": cannot put its package into the store of " + entry.target() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * After a clean undo the targets run the recorded instances again; what this deployment added to the
     * stores for anything else is referred to by nothing, so the stores are put back as they were too.
     */
    private void removeFromStores(Plan plan, List<StoreAddition> added) {
        Set<Path> stillUsed = new HashSet<>();
        for (ManifestEntry entry : plan.recorded().entries()) {
            // A recorded instance whose directory had gone (drift) got it back from this deployment's undo.
            stillUsed.add(Path.of(entry.instanceDirectory()));
            if (!entry.packagePath().isEmpty()) {
                stillUsed.add(Path.of(entry.packagePath()));
            }
        }
        for (int i = added.size() - 1; i >= 0; i--) {
            StoreAddition addition = added.get(i);
            if (stillUsed.contains(addition.path())) {
                continue;
            }
            try {
                Store.deleteTree(addition.path());
            } catch (IOException e) {
                events.targetStep(addition.target(), "could not remove " + addition.path() + " from the store: " + e.getMessage());
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
