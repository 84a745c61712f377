package dev.beckon.planner.store;

import dev.beckon.planner.plan.PlanningException;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.function.Consumer;

/**
 * What gc and the store roots need of one target's store, wherever it is: done in-process for a store on this machine
 * ({@link LocalStore}), by beckon's agent for an SSH target's, where the processes that {@code .deploying-PID} and
 * {@code .partial-PID} files name live. Every target session is one; names given are {@code HASH-NAME} store entries
 * of the state directory, and anything else is refused.
 */
public interface StoreSession {
    /** Takes the target's deployment lock for {@code command}; closing the handle releases it. */
    Lock lockStore(String target, Path stateDirectory, String command, Consumer<String> warnings) throws PlanningException;

    /**
     * Names {@code entries} in this session's temporary roots of the profile there ({@link StoreRoots}), so that no gc
     * removes them while a deployment or rollback is under way. The first write of a deployment into the state
     * directory: it is checked first.
     *
     * @throws PlanningException when it cannot be written; nothing is deployed then
     */
    void protectStoreEntries(Path stateDirectory, SortedSet<String> entries) throws PlanningException;

    /** Removes this session's temporary roots there again, after a deployment that recorded nothing. */
    void releaseStoreEntries(Path stateDirectory) throws PlanningException;

    /** After a generation is recorded: adds {@code entries} to the profile's roots there, and drops the temporary roots. */
    void addStoreRoots(Path stateDirectory, SortedSet<String> entries) throws PlanningException;

    /**
     * One store's part of {@code beckon gc} ({@link StoreCollection}): removes what the profile's roots or its dropped
     * generations name and neither its kept generations nor anyone else's roots need, and copies left by processes
     * that died; rewrites the profile's roots to {@code kept}. The caller holds the target's lock unless {@code dryRun}.
     *
     * @param kept the entries there that the generations gc keeps reference
     * @param dropped the entries there that the generations gc drops reference
     * @param keepSnapshots how many of each service's snapshots there to keep, the newest
     * @param dryRun only find out what would go; nothing is written
     * @return what was removed, or would be
     */
    List<GarbageCollector.StoreEntry> collectStore(Path stateDirectory, SortedSet<String> kept, SortedSet<String> dropped,
            int keepSnapshots, boolean dryRun) throws PlanningException;

    /** A held target lock. */
    interface Lock extends AutoCloseable {
        @Override
        void close() throws PlanningException;
    }

    /**
     * The store session of a target as a manifest records it, with the state directory of the store asked about; a
     * target whose host changed between generations has a store on each.
     *
     * @throws PlanningException when the target cannot be reached
     */
    @FunctionalInterface
    interface OfTarget {
        StoreSession of(dev.beckon.planner.manifest.Manifest.TargetRecord target) throws PlanningException;
    }
}
