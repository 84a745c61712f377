package dev.beckon.activation;

import java.nio.file.Path;

/**
 * A service's own persistent directory on a target, {@code STATE_DIR/services/PROFILE/SERVICE}: unlike its instance
 * directory in the store (one per version, gone with the generations that reference it), it outlives idle exit,
 * restart, reboot and every redeployment of the same service. Its regions live there: {@code knobs} (runtime knobs)
 * and {@code state} (warm state).
 */
public final class ServiceStateDirectory {
    /** The variable that hands a service the path of its knob region, under every service manager. */
    public static final String KNOBS_VARIABLE = "BECKON_KNOBS";
    public static final String KNOBS_FILE = "knobs";

    private ServiceStateDirectory() {}

    public static Path of(Path stateDirectory, String profile, String service) {
        return stateDirectory.resolve("services").resolve(profile).resolve(service);
    }

    /** Where the knob region of {@code service} is. */
    public static Path knobs(Path stateDirectory, String profile, String service) {
        return of(stateDirectory, profile, service).resolve(KNOBS_FILE);
    }
}
