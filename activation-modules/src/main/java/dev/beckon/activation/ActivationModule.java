package dev.beckon.activation;

/**
 * An activation module: how one kind of service (a systemd unit, an inetd entry, ...) is made to run
 * on a target. Dysnomia's idea as a Java interface. Built-in modules are found with
 * {@link java.util.ServiceLoader}; {@link ActivationModules} also finds external ones.
 *
 * <p>{@link #render} is pure, so plans and tests can see exactly what would be written without a
 * target. Everything that touches a target goes through a {@link ModuleSession}, one per target and
 * deployment, so that work such as a daemon-reload is done once for all instances.
 */
public interface ActivationModule {

    /** The type name services use to choose this module: {@code systemd-unit}, {@code inetd}, ... */
    String type();

    /**
     * What this module would write for the instance, byte for byte. Pure: no file, process or bus is
     * touched. Values that cannot be written safely (a newline where a directive would end) make it
     * throw.
     *
     * @throws IllegalArgumentException naming the instance and the value that cannot be rendered
     */
    Rendering render(ServiceInstance instance);

    /**
     * Opens a session on one target's container of this module: connects to its service manager,
     * finds where its files go.
     *
     * @throws ActivationException when the service manager cannot be reached; the message says how it was tried
     */
    ModuleSession open(TargetContainer container) throws ActivationException;
}
