package dev.beckon.activation.systemd;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.ServiceStateDirectory;
import dev.beckon.idle.WarmState;
import dev.beckon.models.Hardening;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The sandboxing directives of an instance's {@link Hardening}, in its service unit.
 *
 * <p>A system manager gets them all. A user manager gets NoNewPrivileges= and RestrictAddressFamilies= only: it
 * cannot switch users, and systemd 252 in a user manager sets up no mount namespace without PrivateUsers=, which
 * needs unprivileged user namespaces; where those are off (as here) the unit fails with 226/NAMESPACE, and without
 * PrivateUsers= ProtectSystem=, ProtectHome= and PrivateTmp= are skipped without a word. See README, "Hardening".
 *
 * <p>ProtectSystem=strict leaves the service's own state directory ({@link ServiceStateDirectory}) writable. A
 * dynamic user gets a new uid whenever the unit starts and could write no file beckon made there, so a service
 * with warm state needs a {@code user}; that user is given the warm-state region at each start, by an unconfined
 * ExecStartPre=.
 */
final class HardeningDirectives {
    private HardeningDirectives() {}

    /** The {@code [Service]} lines; none for {@link Hardening#NONE}. */
    static String service(ServiceInstance instance) {
        Hardening hardening = instance.hardening();
        if (hardening.equals(Hardening.NONE)) {
            return "";
        }
        boolean system = isSystemScope(instance);
        StringBuilder lines = new StringBuilder();
        if (hardening.noNewPrivileges()) {
            lines.append("NoNewPrivileges=yes\n");
        }
        if (!hardening.addressFamilies().isEmpty()) {
            lines.append("RestrictAddressFamilies=").append(String.join(" ", hardening.addressFamilies())).append('\n');
        }
        if (!system) {
            return lines.toString();
        }
        Path ownDirectory = ServiceStateDirectory.of(instance.stateDirectory(), instance.profile(), instance.service());
        // DynamicUser= implies ProtectSystem=strict and PrivateTmp=, whatever the unit says.
        boolean dynamic = hardening.dynamicUser() && hardening.user().isEmpty();
        boolean stateUnderTmp = isUnderTmp(instance.stateDirectory());
        if (hardening.protectSystem()) {
            lines.append("ProtectSystem=strict\n");
        }
        if (hardening.protectSystem() || dynamic) {
            // "-": a service without knobs or warm state has no directory there.
            lines.append("ReadWritePaths=").append(UnitSyntax.path("-" + ownDirectory)).append('\n');
        }
        if (hardening.protectHome()) {
            lines.append("ProtectHome=read-only\n");
        }
        if (stateUnderTmp && (hardening.privateTmp() || dynamic)) {
            throw new IllegalArgumentException("its private /tmp (PrivateTmp=" + (dynamic ? ", which DynamicUser= implies" : "")
                    + ") would hide beckon's state directory " + instance.stateDirectory() + ", and its package with it; give the target "
                    + "a state-dir outside /tmp and /var/tmp, or turn " + (dynamic ? "dynamic-user" : "private-tmp") + " off in [services."
                    + instance.service() + ".hardening]");
        }
        if (hardening.privateTmp()) {
            lines.append("PrivateTmp=yes\n");
        }
        Optional<String> region = Optional.ofNullable(instance.environment().get(WarmState.PATH_VARIABLE));
        if (hardening.user().isPresent()) {
            String user = hardening.user().get();
            lines.append("User=").append(user).append('\n');
            if (region.isPresent()) {
                // beckon makes the warm-state region (as root) and the service maps it for writing: the file is given to the
                // user, at each start since a restore replaces it. Not the directory, which stays beckon's, so that the
                // user can plant nothing there for beckon to write through (see SafeDirectories). "+": unconfined.
                lines.append("ExecStartPre=+/bin/chown -h ").append(user).append(": ").append(UnitSyntax.execArgument(region.get()))
                        .append('\n');
            }
        } else if (dynamic) {
            if (region.isPresent()) {
                throw new IllegalArgumentException("a dynamic user (DynamicUser=, which it gets without a user) has another uid at each "
                        + "start and could not write the warm state that beckon keeps for it; give it a user = \"NAME\" in [services."
                        + instance.service() + ".hardening], or turn dynamic-user off there");
            }
            lines.append("DynamicUser=yes\n");
        }
        return lines.toString();
    }

    /**
     * The prefix of beckon's own commands in the unit (the failure guard): {@code +}, unconfined, in a system unit with
     * hardening, since the guard writes to the manager's runtime directory and asks the manager to stop sockets.
     */
    static String ownCommandPrefix(ServiceInstance instance) {
        return isSystemScope(instance) && !instance.hardening().equals(Hardening.NONE) ? "+" : "";
    }

    private static boolean isSystemScope(ServiceInstance instance) {
        return instance.container().getOrDefault("scope", "user").equals("system");
    }

    private static boolean isUnderTmp(Path directory) {
        Path normal = directory.toAbsolutePath().normalize();
        return normal.startsWith("/tmp") || normal.startsWith("/var/tmp");
    }
}
