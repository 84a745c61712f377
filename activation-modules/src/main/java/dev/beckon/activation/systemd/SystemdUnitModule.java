package dev.beckon.activation.systemd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;

/**
 * The {@code systemd-unit} module: a service unit per instance, and for an on-demand instance its
 * socket units, driven over D-Bus.
 *
 * <p>Container settings: {@code scope} ({@code user}: the user's manager on the user bus;
 * {@code system}: PID 1 on the system bus), {@code bus} (a D-Bus address, when the manager is not at
 * the usual place), {@code journal-directory} (where to read logs, when not the system's journal).
 * Without them, it follows the environment: {@code DBUS_SESSION_BUS_ADDRESS} or
 * {@code $XDG_RUNTIME_DIR/bus} for the user bus, {@code DBUS_SYSTEM_BUS_ADDRESS} or
 * {@code /run/dbus/system_bus_socket} for the system bus, and {@code $BECKON_SANDBOX/journal} when
 * {@code beckon sandbox} is in use.
 */
public final class SystemdUnitModule implements ActivationModule {
    public static final String TYPE = "systemd-unit";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Rendering render(ServiceInstance instance) {
        return SystemdUnitRenderer.render(instance);
    }

    /**
     * Connects in {@link SystemdConnections}: this class is loaded (and verified) whenever built-in modules are
     * looked through, for any type, and nothing of D-Bus may come with it then.
     */
    @Override
    public ModuleSession open(TargetContainer container) throws ActivationException {
        return SystemdConnections.open(container);
    }
}
