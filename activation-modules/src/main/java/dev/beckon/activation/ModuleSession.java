package dev.beckon.activation;

import java.util.List;

/**
 * A module's work on one target during one deployment. The planner calls, per target: {@link #lock}
 * every instance it will touch; {@link #deactivate} the obsolete ones (dependants first); then per
 * dependency level {@link #install} that level's new and changed ones, {@link #flush}, and {@link
 * #activate} them; a last {@link #flush}; {@link #unlock}; {@link #close}. Undo is the inverse of each
 * call begun, newest first: of an activation, {@code activate} of the old instance (or {@code deactivate}
 * of a new one); of an install, {@code install} of the old instance (or {@code deactivate} of a new one),
 * which must restart nothing, since what runs was started from the old files.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>{@code activate} of an instance identical to what runs changes nothing: no file written, no
 *       reload, no restart. Of a changed instance, it restarts only what changed; for an on-demand
 *       service whose socket settings are unchanged, the socket keeps listening throughout.
 *   <li>"Activated" means verified: when {@code activate} returns, the instance runs or listens, and a
 *       service that cannot start is an {@link ActivationException}, never a success.
 *   <li>{@code deactivate} of an instance that is not there succeeds.
 *   <li>Files are written atomically: a crash never leaves half a unit or entry behind.
 * </ul>
 */
public interface ModuleSession extends AutoCloseable {

    /**
     * Asks the instance whether it may be changed now (Dysnomia's lock: a service may refuse, for
     * example while it has connections it must not drop). Default: it may.
     *
     * @throws ActivationException when the instance refuses; the message says why
     */
    default void lock(ServiceInstance instance) throws ActivationException {}

    /** Lets the instance go on after {@link #lock}. Default: nothing to do. */
    default void unlock(ServiceInstance instance) throws ActivationException {}

    /**
     * Writes the files of every instance that is about to be activated, so one reload of the service
     * manager covers them all. Optional: {@link #activate} writes what is missing itself.
     */
    default void install(List<ServiceInstance> instances) throws ActivationException {}

    /**
     * Before the instances are activated one by one: starts what of them can start together, all at once (a module
     * whose starts are jobs of its service manager queues them all, then awaits them together). Only an
     * optimisation, and never a failure of its own: each {@link #activate} that follows still verifies its instance,
     * and starts or reports what this left undone. {@link #deactivate} undoes it. Default: nothing.
     */
    default void startTogether(List<ServiceInstance> instances) throws ActivationException {}

    /** Makes the instance run (or listen, when on demand), and makes it come back after a reboot. */
    void activate(ServiceInstance instance) throws ActivationException;

    /** Stops the instance (its socket first, when on demand) and removes everything it wrote. */
    void deactivate(ServiceInstance instance) throws ActivationException;

    /** What runs on the target for this instance and whether it is what beckon wrote. */
    InstanceStatus query(ServiceInstance instance) throws ActivationException;

    /**
     * {@link #query} of many instances of this session's target, by instance id in the order given. A module whose
     * every question is a round trip to its service manager asks them in a batch; by default, one query each.
     */
    default java.util.Map<String, InstanceStatus> queryAll(List<ServiceInstance> instances) throws ActivationException {
        java.util.Map<String, InstanceStatus> statuses = new java.util.LinkedHashMap<>();
        for (ServiceInstance instance : instances) {
            statuses.put(instance.id(), query(instance));
        }
        return statuses;
    }

    /**
     * The instance's log (for {@code beckon logs}): its last {@code lines} lines when {@code after} is empty,
     * else what was logged since that position, which an earlier call returned (at most {@code lines}).
     * Reads only. Default: the module keeps no log beckon can read.
     *
     * @throws ActivationException when the log cannot be read; the message says why
     */
    default InstanceLog log(ServiceInstance instance, int lines, java.util.Optional<String> after) throws ActivationException {
        throw new ActivationException(instance.id(), "its module keeps no log that beckon can read");
    }

    /** Finishes deferred work, such as one reload after removing files. */
    default void flush() throws ActivationException {}

    /** Releases the connection to the service manager. */
    @Override
    default void close() {}
}
