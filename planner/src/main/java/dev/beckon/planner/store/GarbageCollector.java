package dev.beckon.planner.store;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * <p>Every store of every generation's targets is collected where it is: this machine's in this process, an SSH
 * target's by beckon's agent there ({@link StoreSession}), which roots that target's deployments the same way.
 *
 * <p>It holds the lock of every state directory it cleans, so no deployment puts an entry there meanwhile, and
 * fails without changing anything when one is locked or cannot be reached. It works in an order that a crash at any point leaves safe:
 * first the dropped generations' tags, then the roots, then the store entries; the next gc finishes the job.
 */
public final class GarbageCollector {
    /** How many of the newest generations are kept unless told otherwise, besides the current one. */
    public static final int DEFAULT_KEEP = 5;

    private final Generations generations;
    private final StoreSession.OfTarget sessions;

    /** A collector of one profile's generations whose targets are all on this machine (tests). */
    public GarbageCollector(Generations generations) {
        this(generations, LocalStore.sessions(generations.profile()));
    }

    /**
     * A collector of one profile's generations; the caller keeps them open while it is used.
     *
     * @param sessions the store session of each target: in this process for this machine's, the agent for an SSH target's
     */
    public GarbageCollector(Generations generations, StoreSession.OfTarget sessions) {
        this.generations = generations;
        this.sessions = sessions;
    }

    /** A store entry, or a leftover temporary copy, and the bytes its files take. */
    public record StoreEntry(String name, long bytes) {}

    /**
     * One store: a state directory of this machine, or of an SSH target's host.
     *
     * @param host empty on this machine, else the SSH destination of its targets
     * @param targets the profile's targets that keep their state there (usually one)
     * @param removed what gc removed, or would remove, by name
     */
    public record StoreReport(String host, Path stateDirectory, SortedSet<String> targets, List<StoreEntry> removed) {
        public StoreReport {
            targets = new TreeSet<>(targets);
            removed = List.copyOf(removed);
        }

        public StoreReport(Path stateDirectory, SortedSet<String> targets, List<StoreEntry> removed) {
            this("", stateDirectory, targets, removed);
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
     * @param stores every store looked at, this machine's by path first, then SSH targets' by host and path
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
     * only they needed, on every target of every generation: this machine's in this process, SSH targets' through
     * beckon's agent there.
     *
     * @param dryRun only find out what would go: nothing is locked, written or removed
     * @throws PlanningException when a target is locked or cannot be reached (nothing is changed then), a generation's
     *                           manifest is damaged or unreadable, or a store's roots cannot be read (nothing is
     *                           changed), or removing fails part way (the message says what is done; running gc again
     *                           finishes)
     */
    public Report collect(int keep, boolean dryRun, java.util.function.Consumer<String> warnings) throws PlanningException {
        return collect(keep, Snapshots.KEEP, dryRun, warnings);
    }

    /**
     * {@link #collect(int, boolean, java.util.function.Consumer)}, keeping {@code keepSnapshots} of each service's snapshots,
     * the newest, in every store.
     */
    public Report collect(int keep, int keepSnapshots, boolean dryRun, java.util.function.Consumer<String> warnings)
            throws PlanningException {
        if (keepSnapshots < 0) {
            throw new IllegalArgumentException("cannot keep " + keepSnapshots + " snapshots");
        }
        if (keep < 0) {
            throw new IllegalArgumentException("cannot keep " + keep + " generations");
        }
        Map<Integer, Manifest> manifests = new HashMap<>();
        List<Generation> listed = list();
        SortedSet<Integer> keptNumbers = new TreeSet<>();
        listed.stream().skip(Math.max(0, listed.size() - keep)).forEach(g -> keptNumbers.add(g.number()));
        listed.stream().filter(Generation::current).forEach(g -> keptNumbers.add(g.number()));
        List<Generation> kept = listed.stream().filter(g -> keptNumbers.contains(g.number())).toList();
        List<Generation> dropped = listed.stream().filter(g -> !keptNumbers.contains(g.number())).toList();

        SortedMap<String, Found> stores = new TreeMap<>();
        for (Generation generation : listed) {
            for (StoreRoots.Used used : used(generation, manifests)) {
                Found store = stores.computeIfAbsent((used.host().isEmpty() ? "0" : "1" + used.host()) + "\0" + used.stateDirectory(),
                        key -> new Found(used.host(), used.stateDirectory(), new TreeMap<>(), new TreeSet<>(), new TreeSet<>()));
                used.targets().forEach(store.targets()::putIfAbsent);
                (keptNumbers.contains(generation.number()) ? store.kept() : store.dropped()).addAll(used.entries());
            }
        }
        // A state directory of this machine that is gone holds nothing to remove, and gc must not create one by locking
        // it; an SSH target's agent finds the same there.
        stores.values().removeIf(store -> store.host().isEmpty() && !Files.isDirectory(store.stateDirectory()));
        if (dryRun) {
            return report(kept, dropped, stores.values(), keepSnapshots, true);
        }
        List<StoreSession.Lock> locks = new ArrayList<>();
        try {
            for (Found store : stores.values()) {
                locks.add(session(store).lockStore(store.targets().firstKey(), store.stateDirectory(), "gc", warnings));
            }
            // Every store is examined first, so that one whose roots cannot be read stops gc before anything changes.
            report(kept, dropped, stores.values(), keepSnapshots, true);
            // Then the tags, the roots and the entries, in an order a crash anywhere leaves safe: a dropped generation's
            // entries stay in the profile's roots until its store is collected, so the next gc finds them.
            for (Generation generation : dropped) {
                try {
                    generations.delete(generation.number());
                } catch (GenerationsException e) {
                    throw new PlanningException("generation " + generation.number() + " could not be dropped, so nothing was removed"
                            + " from the stores: " + e.getMessage(), e);
                }
            }
            return report(kept, dropped, stores.values(), keepSnapshots, false);
        } finally {
            for (StoreSession.Lock lock : locks) {
                lock.close();
            }
        }
    }

    /** One store, and what the profile's kept and dropped generations reference there. */
    private record Found(String host, Path stateDirectory, SortedMap<String, Manifest.TargetRecord> targets, SortedSet<String> kept,
            SortedSet<String> dropped) {}

    private Report report(List<Generation> kept, List<Generation> dropped, java.util.Collection<Found> stores, int keepSnapshots,
            boolean dryRun) throws PlanningException {
        List<StoreReport> reports = new ArrayList<>();
        for (Found store : stores) {
            SortedSet<String> referencedByDropped = new TreeSet<>(store.dropped());
            referencedByDropped.removeAll(store.kept());
            List<StoreEntry> removed = session(store).collectStore(store.stateDirectory(), store.kept(), referencedByDropped, keepSnapshots,
                    dryRun);
            reports.add(new StoreReport(store.host(), store.stateDirectory(), new TreeSet<>(store.targets().keySet()), removed));
        }
        return new Report(generations.profile(), kept, dropped, reports, dryRun);
    }

    private StoreSession session(Found store) throws PlanningException {
        return sessions.of(store.targets().get(store.targets().firstKey()));
    }

    private List<StoreRoots.Used> used(Generation generation, Map<Integer, Manifest> manifests) throws PlanningException {
        Manifest manifest = manifest(generation, manifests);
        try {
            return StoreRoots.used(manifest, where(generation));
        } catch (PlanningException e) {
            throw new PlanningException(e.getMessage() + " (in " + generations.directory() + ")" + dropAdvice(generation), e);
        }
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
