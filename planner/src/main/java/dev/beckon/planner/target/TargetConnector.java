package dev.beckon.planner.target;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ModuleFinder;
import dev.beckon.activation.ActivationException;
import dev.beckon.models.TargetHost;
import dev.beckon.planner.target.ssh.SshTargetSession;
import java.util.Map;

/** Opens a session on a target: in-process for {@code localhost}, else over SSH through beckon's agent there. */
@FunctionalInterface
public interface TargetConnector {
    TargetSession open(Manifest.TargetRecord target, String profile) throws ActivationException;

    /** Local targets through {@code modules}; the others over SSH, as the environment's {@code BECKON_SSH_COMMAND} says. */
    public static TargetConnector of(ModuleFinder modules, Map<String, String> environment) {
        return (target, profile) -> {
            TargetHost host;
            try {
                host = TargetHost.parse(target.host());
            } catch (IllegalArgumentException e) {
                throw new ActivationException(target.name(), e.getMessage());
            }
            return host.isLocal() ? new LocalTargetSession(profile, modules) : SshTargetSession.open(target, host, profile, environment);
        };
    }
}
