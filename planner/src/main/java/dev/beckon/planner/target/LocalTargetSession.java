package dev.beckon.planner.target;

import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.state.StateDirectories;
import dev.beckon.planner.store.Snapshots;
import dev.beckon.planner.store.Store;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A target on this machine: its modules run in this process, one session per module and container
 * settings, opened when first needed. beckon's agent on a remote target runs one of these too.
 */
public final class LocalTargetSession implements TargetSession {
    private final String profile;
    private final ModuleFinder modules;
    /** This machine's stores, for the profile: locks, roots and gc. */
    private final dev.beckon.planner.store.LocalStore store;
    private final Map<String, ModuleSession> open = new LinkedHashMap<>();
    /**
     * What this session found wrong with each package in the store it looked at (empty: whole), by its path; what it
     * put there itself is whole. Many instances share a package: hashing it again for each would cost a deployment of
     * 200 copies of one service seconds, for nothing the first check did not already say.
     */
    private final Map<String, Optional<String>> checkedPackages = new java.util.concurrent.ConcurrentHashMap<>();

    public LocalTargetSession(String profile, ModuleFinder modules) {
        this.profile = profile;
        this.modules = modules;
        this.store = new dev.beckon.planner.store.LocalStore(profile);
    }

    /** The entries in one batch per module session, in the order each session is first met. */
    private static java.util.Collection<List<ManifestEntry>> bySession(List<ManifestEntry> entries) {
        Map<String, List<ManifestEntry>> batches = new LinkedHashMap<>();
        for (ManifestEntry entry : entries) {
            batches.computeIfAbsent(key(entry), k -> new ArrayList<>()).add(entry);
        }
        return batches.values();
    }

    /** Entries with the same key share one module session. */
    public static String key(ManifestEntry entry) {
        return entry.target() + "\0" + entry.type() + "\0" + entry.container();
    }

    private synchronized ModuleSession of(ManifestEntry entry) throws ActivationException {
        String key = key(entry);
        ModuleSession session = open.get(key);
        if (session == null) {
            Path stateDirectory = Path.of(entry.stateDirectory());
            session = modules.forType(entry.type(), stateDirectory)
                    .open(new TargetContainer(entry.target(), entry.type(), entry.container(), stateDirectory));
            open.put(key, session);
        }
        return session;
    }

    private ServiceInstance instance(ManifestEntry entry) {
        return entry.toInstance(profile);
    }

    @Override
    public Handle lockTarget(String target, Path stateDirectory, String command, Consumer<String> warnings) throws PlanningException {
        dev.beckon.planner.store.StoreSession.Lock lock = store.lockStore(target, stateDirectory, command, warnings);
        return lock::close;
    }

    @Override
    public java.util.SortedMap<String, String> render(ManifestEntry entry) throws ActivationException {
        java.util.SortedMap<String, String> files = new java.util.TreeMap<>();
        try {
            for (dev.beckon.activation.RenderedFile file : modules.forType(entry.type(), Path.of(entry.stateDirectory()))
                    .render(instance(entry)).files()) {
                files.put(file.name(), file.content());
            }
        } catch (IllegalArgumentException e) {
            throw new ActivationException(entry.id(), e.getMessage(), e);
        }
        return files;
    }

    @Override
    public void protectStoreEntries(Path stateDirectory, java.util.SortedSet<String> entries) throws PlanningException {
        store.protectStoreEntries(stateDirectory, entries);
    }

    @Override
    public void releaseStoreEntries(Path stateDirectory) throws PlanningException {
        store.releaseStoreEntries(stateDirectory);
    }

    @Override
    public void addStoreRoots(Path stateDirectory, java.util.SortedSet<String> entries) throws PlanningException {
        store.addStoreRoots(stateDirectory, entries);
    }

    @Override
    public List<dev.beckon.planner.store.GarbageCollector.StoreEntry> collectStore(Path stateDirectory, java.util.SortedSet<String> kept,
            java.util.SortedSet<String> dropped, int keepSnapshots, boolean dryRun) throws PlanningException {
        return store.collectStore(stateDirectory, kept, dropped, keepSnapshots, dryRun);
    }

    @Override
    public Optional<String> removeStaleLock(Path stateDirectory) throws PlanningException {
        return DeploymentLock.removeIfStale(DeploymentLock.targetLockFile(stateDirectory)).map(DeploymentLock.Holder::describe);
    }

    @Override
    public List<Path> putPackage(ManifestEntry entry) throws PlanningException {
        List<Path> added = new ArrayList<>();
        try {
            makeInstanceDirectory(entry).ifPresent(added::add);
            // Not among what it added: a warm state outlives this deployment, undone or not.
            ServiceStates.ensureRegion(profile, entry);
            if (entry.packageSource().isEmpty()) {
                return added;
            }
            if (isWhole(entry.packagePath())) {
                return added;
            }
            Path source = Path.of(entry.packageSource());
            Path destination = Path.of(entry.packagePath());
            if (!Files.exists(source)) {
                Optional<String> damage = Store.damage(destination);
                if (damage.isPresent()) {
                    throw new PlanningException(entry.id() + ": its package " + destination + " " + damage.get() + ", and its source "
                            + source + " is gone to copy it again from; restore the source, then deploy again");
                }
                checkedPackages.put(entry.packagePath(), Optional.empty());
                return added;
            }
            if (Store.put(source, destination) == Store.Placed.COPIED) {
                added.add(destination);
            }
            checkedPackages.put(entry.packagePath(), Optional.empty());
            return added;
        } catch (IOException | PlanningException e) {
            // What this call made goes with its failure: the caller learns only of what it returns.
            for (Path made : added) {
                try {
                    Store.deleteTree(made);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (e instanceof PlanningException planning) {
                throw planning;
            }
            throw new PlanningException(entry.id() + ": cannot put its package into the store of " + entry.target() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void putSecrets(ManifestEntry entry, Optional<java.util.SortedMap<String, byte[]>> values) throws PlanningException {
        if (entry.secrets().isEmpty()) {
            return;
        }
        Path instanceDirectory = Path.of(entry.instanceDirectory());
        if (values.isEmpty()) {
            List<String> missing = dev.beckon.activation.Credentials.missing(instanceDirectory, entry.secrets().keySet());
            if (!missing.isEmpty()) {
                throw new PlanningException(entry.id() + ": its secret" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                        + " of this recorded version " + (missing.size() == 1 ? "is" : "are") + " no longer on " + entry.target()
                        + " (in " + dev.beckon.activation.Credentials.directory(instanceDirectory)
                        + "), and a record holds no values; deploy from the model instead");
            }
            return;
        }
        if (!values.get().keySet().equals(entry.secrets().keySet())) {
            throw new IllegalArgumentException(entry.id() + ": secrets " + values.get().keySet() + " given for " + entry.secrets().keySet()
                    + " (this is a bug)");
        }
        try {
            dev.beckon.activation.Credentials.write(instanceDirectory, values.get());
        } catch (IOException e) {
            throw new PlanningException(entry.id() + ": cannot write its secrets into " + dev.beckon.activation.Credentials.directory(
                    instanceDirectory) + " on " + entry.target() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> makeClassDataArchive(ManifestEntry entry) {
        return ClassDataTraining.makeIfNeeded(entry);
    }

    /**
     * Makes the instance's own directory in the store, in a state directory that {@link SafeDirectories} trusts.
     *
     * @return the directory, when it was not there
     */
    public static Optional<Path> makeInstanceDirectory(ManifestEntry entry) throws IOException {
        Path instanceDirectory = Path.of(entry.instanceDirectory());
        SafeDirectories.verify(instanceDirectory);
        if (Files.exists(instanceDirectory, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        SafeDirectories.ensure(instanceDirectory);
        return Optional.of(instanceDirectory);
    }

    /**
     * What is wrong with the instance's package in the store, in words for a status ("its package /s/store/… was
     * changed after it was copied…"); empty when it is whole or the instance has none. Each entry is checked once
     * per session, however many instances share it.
     */
    private Optional<String> packageDamage(ManifestEntry entry) {
        if (entry.packagePath().isEmpty()) {
            return Optional.empty();
        }
        return checkedPackages.computeIfAbsent(entry.packagePath(), path -> {
            try {
                return Store.damage(Path.of(path)).map(damage -> "its package " + path + " " + damage);
            } catch (IOException e) {
                return Optional.of("its package " + path + " cannot be checked: " + e.getMessage());
            }
        });
    }

    /** What {@link #preparePackage} made, and whether the package is in the store whole (else it is to be copied). */
    public record PreparedPackage(List<Path> made, boolean present) {}

    /** Whether this session already found the package at {@code packagePath} whole in the store, or put it there. */
    private boolean isWhole(String packagePath) {
        return Optional.empty().equals(checkedPackages.get(packagePath));
    }

    /**
     * The agent's half of {@link SshTargetSession#putPackage}: makes the instance's directories and its warm state, and
     * says whether its package is in the store whole; one found damaged or cut short is removed, so that the copy
     * that follows puts it there whole.
     *
     * @return the directories it made, and whether the package needs no copy
     */
    public PreparedPackage preparePackage(ManifestEntry entry) throws IOException, PlanningException {
        List<Path> made = new ArrayList<>();
        makeInstanceDirectory(entry).ifPresent(made::add);
        ServiceStates.ensureRegion(profile, entry);
        if (entry.packagePath().isEmpty() || isWhole(entry.packagePath())) {
            return new PreparedPackage(made, true);
        }
        Path stored = Path.of(entry.packagePath());
        SafeDirectories.ensure(stored.getParent());
        if (Store.damage(stored).isPresent()) {
            Store.removeEntry(stored);
            checkedPackages.remove(entry.packagePath());
            return new PreparedPackage(made, false);
        }
        checkedPackages.put(entry.packagePath(), Optional.empty());
        return new PreparedPackage(made, true);
    }

    /** The agent's end of a package's copy over SSH: {@link Store#seal}, after which this session knows it whole. */
    public void sealPackage(ManifestEntry entry) throws IOException {
        Store.seal(Path.of(entry.packagePath()));
        checkedPackages.put(entry.packagePath(), Optional.empty());
    }

    @Override
    public void removeFromStore(Path stateDirectory, List<Path> entries) throws PlanningException {
        Path store = stateDirectory.resolve("store").toAbsolutePath().normalize();
        for (Path entry : entries) {
            Path normalized = entry.toAbsolutePath().normalize();
            if (!normalized.getParent().equals(store)) {
                throw new PlanningException(entry + " is not an entry of the store " + store + "; not removed");
            }
            // Gone from the store: the next put copies it again.
            checkedPackages.remove(normalized.toString());
            checkedPackages.remove(entry.toString());
            try {
                Store.removeEntry(normalized);
            } catch (IOException e) {
                throw new PlanningException("cannot remove " + entry + " from the store: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void lock(ManifestEntry entry) throws ActivationException {
        of(entry).lock(instance(entry));
    }

    @Override
    public void unlock(ManifestEntry entry) throws ActivationException {
        of(entry).unlock(instance(entry));
    }

    @Override
    public void install(List<ManifestEntry> entries) throws ActivationException {
        List<ServiceInstance> instances = new ArrayList<>();
        for (ManifestEntry entry : entries) {
            instances.add(instance(entry));
        }
        of(entries.get(0)).install(instances);
    }

    @Override
    public void startTogether(List<ManifestEntry> entries) throws ActivationException {
        for (List<ManifestEntry> batch : bySession(entries)) {
            List<ServiceInstance> instances = new ArrayList<>();
            for (ManifestEntry entry : batch) {
                // Its region is there before anything of it can start: a connection may come as soon as its socket listens.
                KnobRegions.prepare(entry, profile);
                instances.add(instance(entry));
            }
            of(batch.get(0)).startTogether(instances);
        }
    }

    @Override
    public void activate(ManifestEntry entry) throws ActivationException {
        KnobRegions.prepare(entry, profile);
        of(entry).activate(instance(entry));
    }

    @Override
    public java.util.Map<String, String> knobs(ManifestEntry entry) throws ActivationException {
        return KnobRegions.read(entry, profile);
    }

    @Override
    public void setKnob(ManifestEntry entry, String name, String value) throws ActivationException {
        KnobRegions.set(entry, profile, name, value);
    }

    @Override
    public void deactivate(ManifestEntry entry) throws ActivationException {
        of(entry).deactivate(instance(entry));
    }

    @Override
    public InstanceStatus query(ManifestEntry entry) throws ActivationException {
        return withStoreDrift(entry, of(entry).query(instance(entry)));
    }

    @Override
    public Map<String, InstanceStatus> queryAll(List<ManifestEntry> entries) throws ActivationException {
        Map<String, InstanceStatus> found = new java.util.HashMap<>();
        for (List<ManifestEntry> batch : bySession(entries)) {
            List<ServiceInstance> instances = new ArrayList<>();
            for (ManifestEntry entry : batch) {
                instances.add(instance(entry));
            }
            Map<String, InstanceStatus> statuses = of(batch.get(0)).queryAll(instances);
            for (ManifestEntry entry : batch) {
                found.put(entry.id(), withStoreDrift(entry, statuses.get(entry.id())));
            }
        }
        Map<String, InstanceStatus> ordered = new LinkedHashMap<>();
        entries.forEach(entry -> ordered.put(entry.id(), found.get(entry.id())));
        return ordered;
    }

    /** A status with what the store says of the instance's package and class-data archive added to its drift. */
    private InstanceStatus withStoreDrift(ManifestEntry entry, InstanceStatus status) {
        Optional<String> damage = packageDamage(entry);
        Optional<String> staleArchive = ClassDataTraining.staleness(entry);
        if (damage.isEmpty() && staleArchive.isEmpty()) {
            return status;
        }
        List<String> drift = new ArrayList<>(status.drift());
        damage.ifPresent(drift::add);
        staleArchive.ifPresent(drift::add);
        return new InstanceStatus(status.presence(), status.activity(), drift, status.detail(), status.log());
    }

    @Override
    public InstanceLog log(ManifestEntry entry, int lines, Optional<String> after) throws ActivationException {
        return of(entry).log(instance(entry), lines, after);
    }

    @Override
    public Snapshots.Snapshot takeSnapshot(ManifestEntry entry) throws PlanningException {
        return ServiceStates.take(profile, entry);
    }

    @Override
    public List<Snapshots.Snapshot> snapshots(ManifestEntry entry) throws PlanningException {
        return ServiceStates.list(profile, entry);
    }

    @Override
    public void restoreSnapshot(ManifestEntry entry, String id) throws PlanningException {
        ServiceStates.restore(profile, entry, id);
    }

    /** The snapshot's own file: this target is this machine, nothing to copy. */
    @Override
    public Path fetchSnapshot(ManifestEntry entry, String id, Path directory) throws PlanningException {
        return ServiceStates.file(profile, entry, id);
    }

    /** Keeps a snapshot moved here from another target and makes the instance's warm state hold it. */
    @Override
    public void receiveSnapshot(ManifestEntry entry, Path snapshot, String id) throws PlanningException {
        ServiceStates.receive(profile, entry, snapshot, id);
    }

    @Override
    public void flush() throws ActivationException {
        ActivationException first = null;
        for (ModuleSession session : List.copyOf(open.values())) {
            try {
                session.flush();
            } catch (ActivationException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void recordDeployed(Path stateDirectory, DeployedRecord record) throws PlanningException {
        try {
            record.write(stateDirectory, profile);
        } catch (IOException e) {
            throw new PlanningException("cannot record what it runs in " + stateDirectory + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<DeployedRecord> deployed(Path stateDirectory) throws PlanningException {
        try {
            return DeployedRecord.read(stateDirectory, profile);
        } catch (IOException e) {
            throw new PlanningException("cannot read what it records in " + stateDirectory + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        List<ModuleSession> sessions = new ArrayList<>(open.values());
        open.clear();
        sessions.forEach(ModuleSession::close);
    }
}
