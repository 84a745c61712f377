package dev.beckon.activation.systemd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.TargetContainer;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import dev.beckon.models.ContainerDuration;
import java.nio.file.Path;
import java.util.Optional;
import org.freedesktop.dbus.exceptions.DBusException;

/** Opens the session of a {@code systemd-unit} container: finds its manager's bus, connects, asks where its units go. */
final class SystemdConnections {
    private SystemdConnections() {}

    static ModuleSession open(TargetContainer container) throws ActivationException {
        boolean system = container.setting("scope", "user").equals("system");
        String address = container.settings().containsKey("bus") ? container.settings().get("bus") : defaultAddress(system);
        SystemdBus bus;
        try {
            bus = SystemdBus.connect(address);
        } catch (DBusException | RuntimeException e) {
            throw new ActivationException(container.target(), "cannot reach the " + (system ? "system" : "user")
                    + " systemd manager at " + address + ": " + e.getMessage()
                    + (system ? "" : " (no user manager runs? `beckon sandbox start` starts a private one)"), e);
        }
        try {
            Path unitDirectory = system ? Path.of("/etc/systemd/system") : userUnitDirectory(bus);
            Optional<Path> journal = Optional.ofNullable(container.settings().get("journal-directory")).map(Path::of)
                    .or(() -> Optional.ofNullable(System.getenv("BECKON_SANDBOX")).filter(s -> !s.isEmpty())
                            .map(s -> Path.of(s, "journal")));
            return new SystemdSession(container.target(), bus, unitDirectory, system ? "multi-user.target" : "default.target", journal,
                    ContainerDuration.STUCK_AFTER.of(container.settings()));
        } catch (ActivationException | RuntimeException e) {
            bus.close();
            throw e;
        }
    }

    /**
     * The user manager's own {@code $XDG_CONFIG_HOME/systemd/user}, asked of the manager itself: it
     * is the first "systemd/user" entry of its unit path, and it may not be ours (a sandbox, sudo).
     */
    private static Path userUnitDirectory(SystemdBus bus) throws ActivationException {
        try {
            for (String entry : bus.unitPath()) {
                if (entry.endsWith("/systemd/user")) {
                    return Path.of(entry);
                }
            }
            throw new ActivationException(bus.address(), "the user manager's unit path has no .../systemd/user directory: " + bus.unitPath());
        } catch (SystemdCallException e) {
            throw new ActivationException(bus.address(), "cannot ask the user manager for its unit path: " + e.getMessage(), e);
        }
    }

    private static Object currentUid() {
        try {
            return java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (java.io.IOException e) {
            return "UID";
        }
    }

    private static String defaultAddress(boolean system) {
        if (system) {
            return Optional.ofNullable(System.getenv("DBUS_SYSTEM_BUS_ADDRESS")).filter(s -> !s.isEmpty())
                    .orElse("unix:path=/run/dbus/system_bus_socket");
        }
        return Optional.ofNullable(System.getenv("DBUS_SESSION_BUS_ADDRESS")).filter(s -> !s.isEmpty())
                .orElseGet(() -> "unix:path=" + Optional.ofNullable(System.getenv("XDG_RUNTIME_DIR")).orElseGet(
                        () -> "/run/user/" + currentUid()) + "/bus");
    }
}
