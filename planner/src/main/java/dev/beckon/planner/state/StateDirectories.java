package dev.beckon.planner.state;

import dev.beckon.models.Container;
import dev.beckon.models.Target;
import dev.beckon.activation.SafeDirectories;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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

    /**
     * Before a deployment writes anything into a state directory: makes it if it is missing, and checks that it,
     * the way to it and what beckon keeps in it (the lock, the roots, the store and its entries, the logs) are
     * this user's or root's and closed to others, with no symbolic link beckon did not make. So a refusal comes
     * before anything changed on the target.
     *
     * @throws SafeDirectories.UnsafePathException naming the first directory or link that is not trusted
     */
    public static void verify(Path stateDirectory) throws IOException {
        SafeDirectories.ensure(stateDirectory);
        try (DirectoryStream<Path> top = Files.newDirectoryStream(stateDirectory)) {
            for (Path entry : top) {
                SafeDirectories.verifyEntry(entry);
            }
        }
        for (String kept : new String[] {"store", "roots", "logs", "modules"}) {
            Path directory = stateDirectory.resolve(kept);
            if (Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
                    for (Path entry : entries) {
                        SafeDirectories.verifyEntry(entry);
                        if (kept.equals("logs") && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                            try (DirectoryStream<Path> logs = Files.newDirectoryStream(entry)) {
                                for (Path log : logs) {
                                    SafeDirectories.verifyEntry(log);
                                }
                            }
                        }
                    }
                }
            }
        }
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
