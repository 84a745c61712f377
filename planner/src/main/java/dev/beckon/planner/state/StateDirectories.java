package dev.beckon.planner.state;

import dev.beckon.models.Container;
import dev.beckon.models.Target;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where beckon keeps its store and records on a target: the target's {@code state-dir}, else
 * {@code /var/lib/beckon} when the target's systemd works at system scope, else the user's
 * {@code $XDG_STATE_HOME/beckon}.
 */
public final class StateDirectories {
    private StateDirectories() {}

    public static Path of(Target target, Map<String, String> environment) {
        if (target.stateDir().isPresent()) {
            return target.stateDir().get();
        }
        Container systemd = target.containers().get("systemd-unit");
        if (systemd != null && systemd.setting("scope").orElse("user").equals("system")) {
            return Path.of("/var/lib/beckon");
        }
        return userStateHome(environment).resolve("beckon");
    }

    /** {@code $XDG_STATE_HOME}, else {@code ~/.local/state}. */
    public static Path userStateHome(Map<String, String> environment) {
        String state = environment.get("XDG_STATE_HOME");
        if (state != null && !state.isEmpty()) {
            return Path.of(state);
        }
        return Path.of(environment.getOrDefault("HOME", System.getProperty("user.home")), ".local", "state");
    }
}
