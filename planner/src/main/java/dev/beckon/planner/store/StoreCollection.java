package dev.beckon.planner.store;

import dev.beckon.planner.plan.PlanningException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One store's part of {@code beckon gc}, run where the store is: in the deploying process for this machine's stores,
 * in beckon's agent for an SSH target's, so that the processes named by temporary roots and copies are looked up on
 * the machine they run on. {@link GarbageCollector} decides which generations go and hands each store the entries
 * that the kept and the dropped ones reference there.
 */
final class StoreCollection {
    /** What {@link Store#put} copies into before renaming; the PID is the copying process's. */
    private static final Pattern PARTIAL = Pattern.compile("\\..+\\.partial-([0-9]{1,19})");

    private StoreCollection() {}

    /**
     * Finds, and unless {@code dryRun} removes, what the profile's roots or its dropped generations name there and
     * neither its kept generations nor another profile's roots nor a running deployment need, and the copies of
     * processes that died; then rewrites the profile's roots to {@code kept} and removes the temporary roots of
     * processes that died; and every snapshot of the profile's services there but each one's {@code keepSnapshots}
     * newest. The roots are read and rewritten under their lock, so roots added meanwhile are neither lost
     * nor missed. A state directory that is gone holds nothing.
     *
     * @return what was removed, or would be: the entries by name, then the copies
     */
    static List<GarbageCollector.StoreEntry> collect(Path stateDirectory, String profile, SortedSet<String> kept,
            SortedSet<String> dropped, int keepSnapshots, boolean dryRun) throws PlanningException {
        if (keepSnapshots < 0) {
            throw new IllegalArgumentException("cannot keep " + keepSnapshots + " snapshots");
        }
        StoreRoots.requireEntryNames(kept, stateDirectory);
        StoreRoots.requireEntryNames(dropped, stateDirectory);
        if (!Files.isDirectory(stateDirectory, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try {
            if (dryRun) {
                List<GarbageCollector.StoreEntry> removed = new ArrayList<>(examine(stateDirectory, profile, kept, dropped).removed());
                removed.addAll(Snapshots.trim(stateDirectory, profile, keepSnapshots, true));
                return removed;
            }
            try (StoreRoots.Locked locked = StoreRoots.lock(List.of(stateDirectory))) {
                Examination examination = examine(stateDirectory, profile, kept, dropped);
                StoreRoots.rewrite(stateDirectory, profile, kept);
                for (GarbageCollector.StoreEntry entry : examination.removed()) {
                    remove(stateDirectory, entry);
                }
                for (Path leftover : examination.roots().leftovers()) {
                    Files.deleteIfExists(leftover);
                }
                List<GarbageCollector.StoreEntry> removed = new ArrayList<>(examination.removed());
                removed.addAll(Snapshots.trim(stateDirectory, profile, keepSnapshots, false));
                return removed;
            }
        } catch (IOException e) {
            throw new PlanningException("cannot read or change the store " + StoreRoots.store(stateDirectory) + " or its roots: "
                    + e.getMessage() + (dryRun ? "" : "; run gc again to finish"), e);
        }
    }

    private record Examination(StoreRoots.TargetRoots roots, List<GarbageCollector.StoreEntry> removed) {}

    private static Examination examine(Path stateDirectory, String profile, SortedSet<String> kept, SortedSet<String> dropped)
            throws IOException {
        StoreRoots.TargetRoots roots = StoreRoots.read(stateDirectory);
        SortedSet<String> candidates = new TreeSet<>(roots.of(profile));
        candidates.addAll(dropped);
        candidates.removeAll(kept);
        candidates.removeAll(roots.neededByOthers(profile));
        List<GarbageCollector.StoreEntry> removed = new ArrayList<>();
        for (String name : candidates) {
            Path entry = StoreRoots.store(stateDirectory).resolve(name);
            if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                removed.add(new GarbageCollector.StoreEntry(name, bytes(entry)));
            }
        }
        removed.addAll(partialsOfDeadProcesses(stateDirectory));
        return new Examination(roots, removed);
    }

    /** Temporary copies whose copying process is gone. */
    private static List<GarbageCollector.StoreEntry> partialsOfDeadProcesses(Path stateDirectory) throws IOException {
        List<GarbageCollector.StoreEntry> partials = new ArrayList<>();
        Path store = StoreRoots.store(stateDirectory);
        if (!Files.isDirectory(store, LinkOption.NOFOLLOW_LINKS)) {
            return partials;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(store)) {
            for (Path entry : entries) {
                Matcher partial = PARTIAL.matcher(entry.getFileName().toString());
                if (partial.matches() && !StoreRoots.isAlive(partial.group(1))) {
                    partials.add(new GarbageCollector.StoreEntry(entry.getFileName().toString(), bytes(entry)));
                }
            }
        }
        partials.sort(Comparator.comparing(GarbageCollector.StoreEntry::name));
        return partials;
    }

    /** Removes one name from a store; the guard keeps a damaged name from ever reaching outside it. */
    private static void remove(Path stateDirectory, GarbageCollector.StoreEntry entry) throws PlanningException {
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
}
