package dev.beckon.planner.store;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.KernelLock;
import dev.beckon.planner.state.StateDirectories;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.models.Messages;
import dev.beckon.models.ProfileNames;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The store entries each profile still needs on a target, so that {@code beckon gc} of one profile never
 * removes what another one runs: like Nix's gc roots, in the target's state directory.
 *
 * <ul>
 *   <li>{@code STATE_DIR/roots/PROFILE}: the names of the store entries ({@code HASH-NAME}) that the profile's kept
 *       generations reference, sorted, one a line. A deployment or rollback adds its generation's entries once it
 *       is recorded; gc rewrites the file to exactly the generations it keeps.</li>
 *   <li>{@code STATE_DIR/roots/PROFILE.deploying-PID}: the entries of a deployment still under way in process PID,
 *       written before it copies anything into the store and removed once its generation is in the roots file.
 *       They cover the moment between a deployment releasing its target locks and recording its generation, and
 *       a deployment that failed. gc honours them while PID lives and removes them after.</li>
 *   <li>{@code STATE_DIR/roots/.lock}: a file lock held while a roots file is read and rewritten, so that two
 *       processes never lose each other's additions.</li>
 * </ul>
 *
 * Every file is written atomically, so a reader sees an old list or a new one. A store written before roots
 * existed has none: gc then only removes what the collected profile's own generations used (see
 * {@link GarbageCollector}).
 */
public final class StoreRoots {
    static final String DIRECTORY = "roots";

    /** {@code HASH-NAME}: a package's SHA-256 or an instance's 32-digit hash; never {@code .}, {@code ..} or a path. */
    private static final Pattern ENTRY_NAME = Pattern.compile("[0-9a-f]{32}(?:[0-9a-f]{32})?-[^/\\x00]+", Pattern.DOTALL);
    private static final Pattern PROFILE = ProfileNames.PATTERN;
    private static final String LOCK_FILE = ".lock";
    private static final Pattern DEPLOYING = Pattern.compile("(" + ProfileNames.SYNTAX + ")\\.deploying-([0-9]{1,19})");

    private StoreRoots() {}

    /**
     * Before a deployment or rollback puts anything into the stores: names the manifest's store entries in the
     * temporary roots of each store it uses, through that store's session (so an SSH target's are written by the agent
     * there, under its PID), so no gc removes them while it runs.
     *
     * @throws PlanningException when a store cannot be written; nothing has been deployed then
     */
    public static void protect(Manifest manifest, StoreSession.OfTarget sessions) throws PlanningException {
        for (Used store : used(manifest, "the manifest being deployed")) {
            sessions.of(store.first()).protectStoreEntries(store.stateDirectory(), store.entries());
        }
    }

    /**
     * After a deployment or rollback that recorded nothing: removes the temporary roots {@link #protect} wrote. A store
     * that cannot be reached (an SSH target whose connection dropped) keeps them, which only keeps gc from removing
     * those entries until it finds their process gone: that goes to {@code notices}, and the deployment's own outcome
     * stands.
     */
    public static void release(Manifest manifest, StoreSession.OfTarget sessions, java.util.function.Consumer<String> notices)
            throws PlanningException {
        for (Used store : used(manifest, "the manifest being deployed")) {
            try {
                sessions.of(store.first()).releaseStoreEntries(store.stateDirectory());
            } catch (PlanningException e) {
                notices.accept("The temporary store roots of this deployment stay on target " + store.first().name()
                        + " until gc finds their process gone: " + e.getMessage());
            }
        }
    }

    /**
     * After a deployment or rollback is recorded: adds its manifest's store entries to the profile's roots in each
     * store it uses, and removes the temporary roots there.
     *
     * @throws PlanningException when a store cannot be written
     */
    public static void addRecorded(Manifest manifest, StoreSession.OfTarget sessions) throws PlanningException {
        for (Used store : used(manifest, "the recorded manifest")) {
            sessions.of(store.first()).addStoreRoots(store.stateDirectory(), store.entries());
        }
    }

    /** {@link StoreSession#protectStoreEntries}, in this process: its PID names the temporary roots. */
    static void protect(Path stateDirectory, String profile, SortedSet<String> entries) throws PlanningException {
        requireEntryNames(entries, stateDirectory);
        Path file = deployingFile(stateDirectory, profile, ProcessHandle.current().pid());
        try {
            // The first write of a deployment into a state directory: it, and all it holds, is checked first.
            StateDirectories.verify(stateDirectory);
            AtomicFiles.write(file, text(entries), AtomicFiles.READABLE);
        } catch (SafeDirectories.UnsafePathException e) {
            throw new PlanningException(e.getMessage() + ". Nothing was changed.", e);
        } catch (IOException e) {
            throw new PlanningException("cannot write " + file + " to protect this deployment's store entries from gc, so"
                    + " nothing was deployed: " + e.getMessage(), e);
        }
    }

    /** {@link StoreSession#releaseStoreEntries}, in this process. */
    static void release(Path stateDirectory, String profile) throws PlanningException {
        Path file = deployingFile(stateDirectory, profile, ProcessHandle.current().pid());
        try {
            AtomicFiles.delete(file);
        } catch (IOException e) {
            throw new PlanningException("cannot remove " + file + ": " + e.getMessage() + " (it only keeps gc from removing"
                    + " store entries; gc removes it once this process is gone)", e);
        }
    }

    /** {@link StoreSession#addStoreRoots}, in this process. */
    static void addRecorded(Path stateDirectory, String profile, SortedSet<String> entries) throws PlanningException {
        requireEntryNames(entries, stateDirectory);
        Path file = profileFile(stateDirectory, profile);
        try (Locked locked = lock(List.of(stateDirectory))) {
            SortedSet<String> roots = names(file);
            roots.addAll(entries);
            AtomicFiles.write(file, text(roots), AtomicFiles.READABLE);
            AtomicFiles.delete(deployingFile(stateDirectory, profile, ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new PlanningException("the deployment is recorded, but its store entries could not be added to " + file
                    + ": " + e.getMessage() + "; until they are, a gc of another profile on that target may remove those it"
                    + " shares with this one (a gc of this profile writes them)", e);
        }
    }

    /** Refuses anything but store entry names: what a session is given may come from another machine. */
    static void requireEntryNames(SortedSet<String> entries, Path stateDirectory) throws PlanningException {
        for (String name : entries) {
            if (!isEntryName(name)) {
                throw new PlanningException(Messages.quote(name) + " is not the name of an entry of the store "
                        + Messages.quote(store(stateDirectory).toString()) + "; nothing was changed there");
            }
        }
    }

    /**
     * One store a manifest uses: a state directory on this machine ({@code host} empty) or on an SSH target's host, the
     * manifest's targets that keep their state there, and the store entries it references there.
     */
    record Used(String host, Path stateDirectory, SortedMap<String, Manifest.TargetRecord> targets, SortedSet<String> entries) {
        /** The target whose session works on the store: the first by name. */
        Manifest.TargetRecord first() {
            return targets.get(targets.firstKey());
        }
    }

    /**
     * The stores a manifest uses, each once: the targets of one host (every target of this machine counts as one) that
     * share a state directory share its store. Targets without instances are among them, with no entries.
     *
     * @throws PlanningException when an entry's path is not directly in its state directory's store (a damaged
     *                           manifest), or a state directory is not an absolute path
     */
    static List<Used> used(Manifest manifest, String where) throws PlanningException {
        SortedMap<String, Used> stores = new TreeMap<>();
        for (Manifest.TargetRecord target : manifest.targets().values()) {
            usedBy(stores, manifest, target.name(), target.stateDirectory(), where);
        }
        for (ManifestEntry entry : manifest.entries()) {
            Used store = usedBy(stores, manifest, entry.target(), entry.stateDirectory(), where);
            for (String path : entry.packagePath().isEmpty() ? List.of(entry.instanceDirectory())
                    : List.of(entry.packagePath(), entry.instanceDirectory())) {
                store.entries().add(entryName(store.stateDirectory(), path).orElseThrow(() -> new PlanningException(where + ": "
                        + entry.id() + " names " + Messages.quote(path) + ", which is not an entry of the store "
                        + Messages.quote(store(store.stateDirectory()).toString()) + "; the manifest is damaged")));
            }
        }
        return List.copyOf(stores.values());
    }

    private static Used usedBy(SortedMap<String, Used> stores, Manifest manifest, String target, String stateDirectory, String where)
            throws PlanningException {
        // A relative one would be resolved against wherever gc happens to run.
        if (!Path.of(stateDirectory).isAbsolute()) {
            throw new PlanningException(where + ": target " + target + " has the state directory " + Messages.quote(stateDirectory)
                    + ", which is not an absolute path; the manifest is damaged");
        }
        Manifest.TargetRecord record = manifest.targets().getOrDefault(target,
                new Manifest.TargetRecord(target, "localhost", "localhost", stateDirectory));
        String host = onThisMachine(manifest, target) ? "" : record.host();
        Used store = stores.computeIfAbsent(host + "\0" + stateDirectory,
                key -> new Used(host, Path.of(stateDirectory), new TreeMap<>(), new TreeSet<>()));
        store.targets().putIfAbsent(target, new Manifest.TargetRecord(record.name(), record.host(), record.hostname(), stateDirectory));
        return store;
    }

    /**
     * The store entries a manifest references on this machine, by state directory: each instance's package and
     * instance directory.
     *
     * @param where names the manifest in the error, for example "generation 3 of profile default"
     * @throws PlanningException when an entry's path is not directly in its state directory's store (a damaged
     *                           manifest), so nothing outside a store is ever taken for a store entry
     */
    static SortedMap<Path, SortedSet<String>> referenced(Manifest manifest, String where) throws PlanningException {
        SortedMap<Path, SortedSet<String>> entries = new TreeMap<>();
        for (Used store : used(manifest, where)) {
            if (store.host().isEmpty()) {
                entries.computeIfAbsent(store.stateDirectory(), d -> new TreeSet<>()).addAll(store.entries());
            }
        }
        return entries;
    }

    /** Whether a target's store is on this machine; an SSH target's is rooted and collected by beckon's agent there. */
    static boolean onThisMachine(Manifest manifest, String target) {
        Manifest.TargetRecord record = manifest.targets().get(target);
        return record == null || dev.beckon.models.TargetHost.parse(record.host()).isLocal();
    }

    /** The store of a state directory. */
    static Path store(Path stateDirectory) {
        return stateDirectory.resolve("store");
    }

    /** Whether a name can be a store entry's: anything else in a store (temporary copies) is no entry. */
    static boolean isEntryName(String name) {
        return ENTRY_NAME.matcher(name).matches();
    }

    private static Optional<String> entryName(Path stateDirectory, String path) {
        Path entry = Path.of(path);
        if (entry.getParent() == null || !entry.getParent().equals(store(stateDirectory))) {
            return Optional.empty();
        }
        String name = entry.getFileName().toString();
        return isEntryName(name) ? Optional.of(name) : Optional.empty();
    }

    /** What the roots directory of one state directory says. */
    record TargetRoots(Map<String, SortedSet<String>> profiles, SortedSet<String> deploying, List<Path> leftovers) {
        /** Every entry some profile other than {@code profile}, or a running deployment, still needs. */
        SortedSet<String> neededByOthers(String profile) {
            SortedSet<String> needed = new TreeSet<>(deploying);
            profiles.forEach((name, roots) -> {
                if (!name.equals(profile)) {
                    needed.addAll(roots);
                }
            });
            return needed;
        }

        SortedSet<String> of(String profile) {
            return profiles.getOrDefault(profile, Collections.emptySortedSet());
        }
    }

    /**
     * Reads the roots of a state directory.
     *
     * @return every profile's roots; the entries of deployments whose process lives; the temporary roots files of
     *         processes that died
     */
    static TargetRoots read(Path stateDirectory) throws IOException {
        Map<String, SortedSet<String>> profiles = new TreeMap<>();
        SortedSet<String> deploying = new TreeSet<>();
        List<Path> leftovers = new ArrayList<>();
        Path directory = stateDirectory.resolve(DIRECTORY);
        if (Files.isDirectory(directory)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
                for (Path file : files) {
                    String name = file.getFileName().toString();
                    Matcher running = DEPLOYING.matcher(name);
                    if (PROFILE.matcher(name).matches()) {
                        profiles.put(name, names(file));
                    } else if (running.matches()) {
                        if (isAlive(running.group(2))) {
                            deploying.addAll(names(file));
                        } else {
                            leftovers.add(file);
                        }
                    }
                }
            }
        }
        return new TargetRoots(profiles, deploying, leftovers);
    }

    /**
     * Serialises changes to the roots of state directories, across processes and threads: a {@link KernelLock} per
     * state directory, taken in the order of their paths so that two holders of overlapping sets cannot deadlock. gc
     * holds it from reading the roots to rewriting them, so a deployment's roots added meanwhile are neither lost nor
     * missed.
     */
    static Locked lock(Collection<Path> stateDirectories) throws IOException {
        List<KernelLock> locks = new ArrayList<>();
        try {
            for (Path stateDirectory : new TreeSet<>(stateDirectories)) {
                Path directory = SafeDirectories.ensure(stateDirectory.resolve(DIRECTORY));
                locks.add(KernelLock.acquire(directory.resolve(LOCK_FILE), Optional.empty()));
            }
            return new Locked(locks);
        } catch (InterruptedException e) {
            new Locked(locks).close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the store roots' lock");
        } catch (KernelLock.TimedOutException e) {
            new Locked(locks).close();
            throw new IllegalStateException("a lock taken without a time limit timed out (this is a bug)", e);
        } catch (IOException | RuntimeException e) {
            new Locked(locks).close();
            throw e;
        }
    }

    /** Held roots locks; closing releases them, newest first. */
    static final class Locked implements AutoCloseable {
        private final List<KernelLock> locks;

        private Locked(List<KernelLock> locks) {
            this.locks = locks;
        }

        @Override
        public void close() {
            for (int i = locks.size() - 1; i >= 0; i--) {
                locks.get(i).close();
            }
        }
    }

    /** Replaces a profile's roots on a state directory; an empty list removes the file. */
    static void rewrite(Path stateDirectory, String profile, SortedSet<String> entries) throws IOException {
        Path file = profileFile(stateDirectory, profile);
        if (entries.isEmpty()) {
            AtomicFiles.delete(file);
        } else {
            AtomicFiles.write(file, text(entries), AtomicFiles.READABLE);
        }
    }

    /**
     * Whether a process of this machine runs with that PID. Every {@code .deploying-PID} and {@code .partial-PID} of a
     * store names a process of the machine the store is on: an SSH target's are written by beckon's agent there and by
     * the copies it receives, and read there by gc.
     */
    static boolean isAlive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Path profileFile(Path stateDirectory, String profile) {
        return stateDirectory.resolve(DIRECTORY).resolve(profile);
    }

    private static Path deployingFile(Path stateDirectory, String profile, long pid) {
        return stateDirectory.resolve(DIRECTORY).resolve(profile + ".deploying-" + pid);
    }

    /** The names in a roots file; lines that cannot name a store entry are ignored, so they can never reach a delete. */
    private static SortedSet<String> names(Path file) throws IOException {
        SortedSet<String> names = new TreeSet<>();
        Optional<String> text = AtomicFiles.read(file);
        if (text.isPresent()) {
            text.get().lines().map(StoreRoots::decode).filter(StoreRoots::isEntryName).forEach(names::add);
        }
        return names;
    }

    private static String text(SortedSet<String> names) {
        StringBuilder text = new StringBuilder();
        names.forEach(name -> text.append(encode(name)).append('\n'));
        return text.toString();
    }

    /** A roots file holds one name a line; a package's file name may hold a line break, so names are percent-encoded. */
    private static String encode(String name) {
        return name.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D");
    }

    private static String decode(String line) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            String escape = line.startsWith("%", i) && i + 3 <= line.length() ? line.substring(i, i + 3) : "";
            switch (escape) {
                case "%25" -> name.append('%');
                case "%0A" -> name.append('\n');
                case "%0D" -> name.append('\r');
                default -> {
                    name.append(line.charAt(i));
                    continue;
                }
            }
            i += 2;
        }
        return name.toString();
    }
}
