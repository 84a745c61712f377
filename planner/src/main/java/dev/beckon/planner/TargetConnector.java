package dev.beckon.planner;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.TargetHost;
import dev.beckon.planner.remote.SshTargetSession;
import java.util.Map;

/** Opens a session on a target: in-process for {@code localhost}, else over SSH through beckon's agent there. */
@FunctionalInterface
public interface TargetConnector {
    TargetSession open(Manifest.TargetRecord target, String profile) throws ActivationException;

    /** Local targets through {@code modules}; the others over SSH, as the environment's {@code BECKON_SSH_COMMAND} says. */
    static TargetConnector of(ModuleFinder modules, Map<String, String> environment) {
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
