package dev.beckon.planner.target;

import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What a deployment does on one target, wherever the target is: on this machine, in-process, or on
 * another over SSH, through beckon's agent there. One per target per command; the deployer uses it from
 * one thread at a time.
 */
public interface TargetSession extends AutoCloseable, dev.beckon.planner.store.StoreSession {
    /** Takes the target's deployment lock; closing the handle releases it. */
    Handle lockTarget(String target, Path stateDirectory, String command, Consumer<String> warnings) throws PlanningException;

    /** {@link #lockTarget}, for gc. */
    @Override
    default Lock lockStore(String target, Path stateDirectory, String command, Consumer<String> warnings) throws PlanningException {
        Handle lock = lockTarget(target, stateDirectory, command, warnings);
        return lock::close;
    }

    /** Removes the target's lock if its holder is gone; returns whose it was. */
    Optional<String> removeStaleLock(Path stateDirectory) throws PlanningException;

    /**
     * Puts an instance's package into the target's store unless it is there, and makes its instance directory.
     *
     * @return what was not there before: the package's path when it was copied, the instance directory when it
     *     was made
     */
    List<Path> putPackage(ManifestEntry entry) throws PlanningException;

    /**
     * Makes the instance's class-data archive by a training start on the target, unless it is there and made with
     * the JDK the instance runs ({@link ClassDataTraining}); never fails: an instance without an archive starts as it
     * would have before.
     *
     * @return a line for the deployment's progress when it trained; empty when there was nothing to do
     */
    Optional<String> makeClassDataArchive(ManifestEntry entry);

    /**
     * Writes the values of the entry's secrets into its instance directory, which {@link #putPackage} made: one file
     * each, 0400, replaced atomically ({@link dev.beckon.activation.Credentials}). Without values (an entry from a record,
     * as in a rollback: only its target has them) it checks that the files are there.
     *
     * @throws PlanningException naming the secrets that cannot be written or are missing; never a value
     */
    default void putSecrets(ManifestEntry entry, Optional<java.util.SortedMap<String, byte[]>> values) throws PlanningException {
        if (!entry.secrets().isEmpty()) {
            throw new PlanningException(entry.id() + ": this target's beckon agent does not take secrets");
        }
    }

    /**
     * The files the module of the entry's type on the target renders for it (for modules that may exist only there).
     *
     * @throws ActivationException when the target has no module of that type; the message says where it looked
     */
    java.util.SortedMap<String, String> render(ManifestEntry entry) throws ActivationException;

    /** Removes entries of the target's store, as after a deployment that failed and was undone; only under {@code store/}. */
    void removeFromStore(Path stateDirectory, List<Path> entries) throws PlanningException;

    /** Asks the running instance whether it may change (Dysnomia's lock); it may refuse. */
    void lock(ManifestEntry entry) throws ActivationException;

    void unlock(ManifestEntry entry) throws ActivationException;

    /** Writes the files of instances of one module and container at once, so one reload covers them. */
    void install(List<ManifestEntry> entries) throws ActivationException;

    /**
     * Before {@link #activate} of each of them: starts together what of these new instances can start together (see
     * {@code ModuleSession.startTogether}); only an optimisation, never a failure of its own. Default: nothing.
     */
    default void startTogether(List<ManifestEntry> entries) throws ActivationException {}

    void activate(ManifestEntry entry) throws ActivationException;

    void deactivate(ManifestEntry entry) throws ActivationException;

    InstanceStatus query(ManifestEntry entry) throws ActivationException;

    /**
     * {@link #query} of many instances of this target, by entry id in the order given: one request to the target, and
     * one batch of questions to each of its service managers, not a round trip per instance.
     */
    default java.util.Map<String, InstanceStatus> queryAll(List<ManifestEntry> entries) throws ActivationException {
        java.util.Map<String, InstanceStatus> statuses = new java.util.LinkedHashMap<>();
        for (ManifestEntry entry : entries) {
            statuses.put(entry.id(), query(entry));
        }
        return statuses;
    }

    /** The instance's log, as its module reads it there (see {@link dev.beckon.activation.ModuleSession#log}). */
    InstanceLog log(ManifestEntry entry, int lines, Optional<String> after) throws ActivationException;
    /**
     * The values of a deployed instance's knobs, by name in slot order, as {@code beckon knob list} shows them.
     *
     * @throws ActivationException when its knob region is missing or has another layout than the entry's
     */
    java.util.Map<String, String> knobs(ManifestEntry entry) throws ActivationException;

    /**
     * Sets one knob of a deployed instance in place, while it runs: no restart, the service sees the value at its next
     * read. The caller has checked the name and value against the entry's knobs; nothing is changed when they are wrong.
     */
    void setKnob(ManifestEntry entry, String name, String value) throws ActivationException;

    /** Finishes every module's deferred work on the target; all are tried, the first failure is thrown. */
    void flush() throws ActivationException;

    /** Takes a snapshot of the instance's warm state (see {@link ServiceStates}); the target keeps the newest few. */
    default dev.beckon.planner.store.Snapshots.Snapshot takeSnapshot(ManifestEntry entry) throws PlanningException {
        throw new PlanningException(entry.id() + ": this target's beckon agent does not take snapshots");
    }

    /** The instance's snapshots on the target, newest first. */
    default List<dev.beckon.planner.store.Snapshots.Snapshot> snapshots(ManifestEntry entry) throws PlanningException {
        throw new PlanningException(entry.id() + ": this target's beckon agent does not list snapshots");
    }

    /** Makes the instance's warm state hold snapshot {@code id} again; the instance must be stopped. */
    default void restoreSnapshot(ManifestEntry entry, String id) throws PlanningException {
        throw new PlanningException(entry.id() + ": this target's beckon agent does not restore snapshots");
    }

    /**
     * For {@code deploy --move-state}: snapshot {@code id} of the instance's warm state as a file on this machine, the
     * target's own file when the target is this machine, else a copy fetched into {@code directory} (private to the caller).
     */
    default Path fetchSnapshot(ManifestEntry entry, String id, Path directory) throws PlanningException {
        throw new PlanningException(entry.id() + ": this target's beckon agent does not hand out snapshots");
    }

    /** For {@code deploy --move-state}: keeps {@code snapshot} (a file on this machine) among the instance's snapshots
     * as {@code id} and makes its warm state hold it; the instance must not run. */
    default void receiveSnapshot(ManifestEntry entry, Path snapshot, String id) throws PlanningException {
        throw new PlanningException(entry.id() + ": this target's beckon agent does not take in snapshots");
    }

    /** Records on the target that it runs {@code record} for this session's profile ({@link DeployedRecord}). */
    default void recordDeployed(Path stateDirectory, DeployedRecord record) throws PlanningException {
        throw new PlanningException("this target's beckon agent does not record what it runs");
    }

    /** What the target records that it runs for this session's profile; empty when nothing. */
    default Optional<DeployedRecord> deployed(Path stateDirectory) throws PlanningException {
        throw new PlanningException("this target's beckon agent does not tell what it runs");
    }

    /**
     * Confirm or roll back: asks the target to put itself back to {@code previous} on its own unless this deployer
     * confirms within {@code timeout} through a new connection. Only targets over SSH do it; this machine cannot lose
     * its way to itself.
     *
     * @param current what the deployment has just made the target run
     * @return the confirmation to give; empty when the target needs none
     */
    default Optional<Confirmation> armConfirmation(Path stateDirectory, List<ManifestEntry> current, List<ManifestEntry> previous,
            java.time.Duration timeout) throws ActivationException {
        return Optional.empty();
    }

    /** An armed confirmation of an SSH target. */
    interface Confirmation {
        /**
         * Confirms through a new connection.
         *
         * @return false when the target had decided first (its timeout passed) and puts itself back
         * @throws ActivationException when the new connection cannot be made: then the target puts itself back
         */
        boolean confirm() throws ActivationException;

        /** When it was not confirmed, what the target recorded of putting itself back, asked once its timeout passed. */
        List<String> outcome() throws ActivationException;

        /** When the target gives up waiting (epoch milliseconds). */
        long deadlineMillis();
    }

    @Override
    void close();

    /** A held target lock. */
    interface Handle extends AutoCloseable {
        @Override
        void close() throws PlanningException;
    }
}
