package dev.beckon.planner.store;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code beckon gc}: drops a profile's old generations and removes the store entries on its targets that nothing
 * needs any more.
 *
 * <p>It keeps the {@code keep} newest generations and always the current one. A store entry is removed when this
 * profile used it (its roots named it, or a dropped generation references it), no kept generation references it,
 * and no other profile's roots nor a running deployment's temporary roots name it (see {@link StoreRoots}). So an
 * entry that another profile deploying to the same state directory uses stays, and so does anything in a store
 * that this profile never used. A profile last deployed before roots existed has none, so what it shares with
 * this profile's dropped generations is not protected until a gc of that profile writes its roots.
 * Temporary copies ({@code .NAME.partial-PID}) left by a deployer that died are removed too.
 *
 * <p>It holds the lock of every state directory it cleans, so no deployment puts an entry there meanwhile, and
 * fails without changing anything when one is locked. It works in an order that a crash at any point leaves safe:
 * first the dropped generations' tags, then the roots, then the store entries; the next gc finishes the job.
 */
public final class GarbageCollector {
    /** How many of the newest generations are kept unless told otherwise, besides the current one. */
    public static final int DEFAULT_KEEP = 5;

    /** What {@link Store#put} copies into before renaming; the PID is the copying process's. */
    private static final Pattern PARTIAL = Pattern.compile("\\..+\\.partial-([0-9]{1,19})");

    private final Generations generations;

    /** A collector of one profile's generations; the caller keeps them open while it is used. */
    public GarbageCollector(Generations generations) {
        this.generations = generations;
    }

    /** A store entry, or a leftover temporary copy, and the bytes its files take. */
    public record StoreEntry(String name, long bytes) {}

    /**
     * One state directory's store.
     *
     * @param targets the profile's targets that keep their state there (usually one)
     * @param removed what gc removed, or would remove, by name
     */
    public record StoreReport(Path stateDirectory, SortedSet<String> targets, List<StoreEntry> removed) {
        public StoreReport {
            targets = new TreeSet<>(targets);
            removed = List.copyOf(removed);
        }

        public long bytes() {
            return removed.stream().mapToLong(StoreEntry::bytes).sum();
        }
    }

    /**
     * What gc did, or with {@code dryRun} would do.
     *
     * @param kept the generations kept, oldest first
     * @param dropped the generations dropped, oldest first
     * @param stores every state directory looked at, by path
     */
    public record Report(String profile, List<Generation> kept, List<Generation> dropped, List<StoreReport> stores, boolean dryRun) {
        public Report {
            kept = List.copyOf(kept);
            dropped = List.copyOf(dropped);
            stores = List.copyOf(stores);
        }

        public long bytes() {
            return stores.stream().mapToLong(StoreReport::bytes).sum();
        }

        public int entries() {
            return stores.stream().mapToInt(s -> s.removed().size()).sum();
        }

        /** The targets whose stores lose something. */
        public int targets() {
            return stores.stream().filter(s -> !s.removed().isEmpty()).mapToInt(s -> s.targets().size()).sum();
        }
    }

    /**
     * Drops every generation but the {@code keep} newest and the current one, and removes the store entries that
     * only they needed.
     *
     * @param dryRun only find out what would go: nothing is locked, written or removed
     * @throws PlanningException when a target is locked (nothing is changed then), a generation's manifest is damaged
     *                           or unreadable (nothing is changed), or removing fails part way (the message says what
     *                           is done; running gc again finishes)
     */
    public Report collect(int keep, boolean dryRun, java.util.function.Consumer<String> warnings) throws PlanningException {
        if (keep < 0) {
            throw new IllegalArgumentException("cannot keep " + keep + " generations");
        }
        Map<Integer, Manifest> manifests = new HashMap<>();
        List<Generation> listed = list();
        SortedMap<Path, SortedSet<String>> targets = new TreeMap<>();
        for (Generation generation : listed) {
            addTargets(targets, manifest(generation, manifests), generation);
        }
        // A state directory that is gone holds nothing to remove, and gc must not create one by locking it.
        targets.keySet().removeIf(stateDirectory -> !Files.isDirectory(stateDirectory));
        if (dryRun) {
            try {
                return examine(keep, targets, manifests).report(true);
            } catch (IOException e) {
                throw new PlanningException("cannot read a store or its roots: " + e.getMessage(), e);
            }
        }
        List<DeploymentLock> locks = new ArrayList<>();
        try {
            for (Map.Entry<Path, SortedSet<String>> store : targets.entrySet()) {
                locks.add(DeploymentLock.acquire(DeploymentLock.targetLockFile(store.getKey()), "target " + store.getValue().first(),
                        generations.profile(), "gc", warnings));
            }
            try (StoreRoots.Locked roots = StoreRoots.lock(targets.keySet())) {
                // The roots are read before the generations, so a deployment recorded meanwhile is either among the
                // generations listed or still protected by its temporary roots.
                Examination examination = examine(keep, targets, manifests);
                examination.carryOut();
                return examination.report(false);
            } catch (IOException e) {
                throw new PlanningException("cannot read or change a store or its roots: " + e.getMessage(), e);
            }
        } finally {
            for (DeploymentLock lock : locks) {
                lock.close();
            }
        }
    }

    /** What was found in one state directory. */
    private record Found(Path stateDirectory, SortedSet<String> targets, StoreRoots.TargetRoots roots, SortedSet<String> kept,
            List<StoreEntry> entries, List<StoreEntry> partials) {}

    /** Everything gc will change, computed before anything is. */
    private final class Examination {
        private final List<Generation> kept;
        private final List<Generation> dropped;
        private final List<Found> stores;

        private Examination(List<Generation> kept, List<Generation> dropped, List<Found> stores) {
            this.kept = kept;
            this.dropped = dropped;
            this.stores = stores;
        }

        void carryOut() throws PlanningException, IOException {
            for (Generation generation : dropped) {
                try {
                    generations.delete(generation.number());
                } catch (GenerationsException e) {
                    throw new PlanningException("generation " + generation.number() + " could not be dropped, so nothing was removed"
                            + " from the stores: " + e.getMessage(), e);
                }
            }
            for (Found store : stores) {
                StoreRoots.rewrite(store.stateDirectory(), generations.profile(), store.kept());
                for (StoreEntry entry : store.entries()) {
                    remove(store.stateDirectory(), entry);
                }
                for (StoreEntry partial : store.partials()) {
                    remove(store.stateDirectory(), partial);
                }
                for (Path leftover : store.roots().leftovers()) {
                    Files.deleteIfExists(leftover);
                }
            }
        }

        Report report(boolean dryRun) {
            List<StoreReport> reports = new ArrayList<>();
            for (Found store : stores) {
                List<StoreEntry> removed = new ArrayList<>(store.entries());
                removed.addAll(store.partials());
                reports.add(new StoreReport(store.stateDirectory(), store.targets(), removed));
            }
            return new Report(generations.profile(), kept, dropped, reports, dryRun);
        }
    }

    private Examination examine(int keep, SortedMap<Path, SortedSet<String>> targets, Map<Integer, Manifest> manifests)
            throws PlanningException, IOException {
        Map<Path, StoreRoots.TargetRoots> roots = new TreeMap<>();
        for (Path stateDirectory : targets.keySet()) {
            roots.put(stateDirectory, StoreRoots.read(stateDirectory));
        }
        List<Generation> listed = list();
        SortedSet<Integer> keptNumbers = new TreeSet<>();
        listed.stream().skip(Math.max(0, listed.size() - keep)).forEach(g -> keptNumbers.add(g.number()));
        listed.stream().filter(Generation::current).forEach(g -> keptNumbers.add(g.number()));
        List<Generation> kept = listed.stream().filter(g -> keptNumbers.contains(g.number())).toList();
        List<Generation> dropped = listed.stream().filter(g -> !keptNumbers.contains(g.number())).toList();

        List<Found> stores = new ArrayList<>();
        for (Map.Entry<Path, SortedSet<String>> target : targets.entrySet()) {
            Path stateDirectory = target.getKey();
            SortedSet<String> keptEntries = referenced(kept, stateDirectory, manifests);
            SortedSet<String> candidates = new TreeSet<>(roots.get(stateDirectory).of(generations.profile()));
            candidates.addAll(referenced(dropped, stateDirectory, manifests));
            candidates.removeAll(keptEntries);
            candidates.removeAll(roots.get(stateDirectory).neededByOthers(generations.profile()));
            List<StoreEntry> entries = new ArrayList<>();
            for (String name : candidates) {
                Path entry = StoreRoots.store(stateDirectory).resolve(name);
                if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                    entries.add(new StoreEntry(name, bytes(entry)));
                }
            }
            stores.add(new Found(stateDirectory, target.getValue(), roots.get(stateDirectory), keptEntries, entries,
                    partialsOfDeadProcesses(stateDirectory)));
        }
        return new Examination(kept, dropped, stores);
    }

    private SortedSet<String> referenced(List<Generation> selected, Path stateDirectory, Map<Integer, Manifest> manifests)
            throws PlanningException {
        SortedSet<String> names = new TreeSet<>();
        for (Generation generation : selected) {
            names.addAll(StoreRoots.referenced(manifest(generation, manifests), where(generation))
                    .getOrDefault(stateDirectory, new TreeSet<>()));
        }
        return names;
    }

    /** Temporary copies whose copying process is gone. */
    private static List<StoreEntry> partialsOfDeadProcesses(Path stateDirectory) throws IOException {
        List<StoreEntry> partials = new ArrayList<>();
        Path store = StoreRoots.store(stateDirectory);
        if (!Files.isDirectory(store, LinkOption.NOFOLLOW_LINKS)) {
            return partials;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(store)) {
            for (Path entry : entries) {
                Matcher partial = PARTIAL.matcher(entry.getFileName().toString());
                if (partial.matches() && !StoreRoots.isAlive(partial.group(1))) {
                    partials.add(new StoreEntry(entry.getFileName().toString(), bytes(entry)));
                }
            }
        }
        partials.sort((a, b) -> a.name().compareTo(b.name()));
        return partials;
    }

    /** Removes one name from a store; the guard keeps a damaged name from ever reaching outside it. */
    private static void remove(Path stateDirectory, StoreEntry entry) throws PlanningException {
        Path store = StoreRoots.store(stateDirectory);
        Path path = store.resolve(entry.name());
        if (!store.equals(path.getParent()) || entry.name().equals(".") || entry.name().equals("..")) {
            throw new IllegalStateException(path + " is not an entry of the store " + store + " (this is a bug)");
        }
        try {
            Store.removeEntry(path);
        } catch (IOException e) {
            throw new PlanningException("cannot remove " + path + ": " + e.getMessage() + "; run gc again to finish", e);
        }
    }

    private static long bytes(Path entry) throws IOException {
        long[] total = {0};
        Files.walkFileTree(entry, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    total[0] += attributes.size();
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    private void addTargets(SortedMap<Path, SortedSet<String>> targets, Manifest manifest, Generation generation)
            throws PlanningException {
        StoreRoots.referenced(manifest, where(generation));
        for (Manifest.TargetRecord target : manifest.targets().values()) {
            if (StoreRoots.onThisMachine(manifest, target.name())) {
                addTarget(targets, target.name(), target.stateDirectory(), generation);
            }
        }
        for (ManifestEntry entry : manifest.entries()) {
            if (StoreRoots.onThisMachine(manifest, entry.target())) {
                addTarget(targets, entry.target(), entry.stateDirectory(), generation);
            }
        }
    }

    private void addTarget(SortedMap<Path, SortedSet<String>> targets, String target, String stateDirectory, Generation generation)
            throws PlanningException {
        // A relative one would be resolved against wherever gc happens to run.
        if (!Path.of(stateDirectory).isAbsolute()) {
            throw new PlanningException(where(generation) + ": target " + target + " has the state directory " + stateDirectory
                    + ", which is not an absolute path; the manifest is damaged (in " + generations.directory() + ")" + dropAdvice(generation));
        }
        targets.computeIfAbsent(Path.of(stateDirectory), d -> new TreeSet<>()).add(target);
    }

    private Manifest manifest(Generation generation, Map<Integer, Manifest> manifests) throws PlanningException {
        // A generation's number is never given to another deployment, so its manifest never changes.
        Manifest manifest = manifests.get(generation.number());
        if (manifest == null) {
            try {
                manifest = ManifestJson.read(generations.manifest(generation.number()), where(generation));
            } catch (IOException | GenerationsException e) {
                throw new PlanningException(e.getMessage() + " (in " + generations.directory() + "), so gc cannot tell which store"
                        + " entries it uses and removes nothing" + dropAdvice(generation), e);
            }
            manifests.put(generation.number(), manifest);
        }
        return manifest;
    }

    private List<Generation> list() throws PlanningException {
        try {
            return generations.list();
        } catch (GenerationsException e) {
            throw new PlanningException(e.getMessage(), e);
        }
    }

    /** What to do about a generation whose record is damaged, for the end of a message. */
    private String dropAdvice(Generation generation) {
        return ". If it is the current one, `beckon rollback --to N` to a readable generation or a deployment makes another"
                + " one current; then `git -C " + generations.directory() + " tag -d generation-" + generation.number() + "` drops it";
    }

    private String where(Generation generation) {
        return "generation " + generation.number() + " of profile " + generations.profile();
    }
}
