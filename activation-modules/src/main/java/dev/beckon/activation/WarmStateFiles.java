package dev.beckon.activation;

import dev.beckon.idle.WarmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Where a service's warm state lives on a target, and making it there. It is kept per profile and service in the
 * target's state directory, {@code services/PROFILE/SERVICE/state}, not in an instance's directory in the store: so
 * it outlives idle exits, restarts, reboots and every redeployment of the same service. (Runtime knobs keep their
 * region in the same directory, as {@code knobs}.)
 */
public final class WarmStateFiles {
    /** The region's file name in the service's directory. */
    public static final String FILE_NAME = "state";

    private WarmStateFiles() {}

    /** The service's warm-state region on the target, in its {@link ServiceStateDirectory}. */
    public static Path region(Path stateDirectory, String profile, String service) {
        return ServiceStateDirectory.of(stateDirectory, profile, service).resolve(FILE_NAME);
    }

    /**
     * Makes the region with {@code capacity} bytes when it is missing; keeps one that is there with that capacity.
     *
     * @return whether it was made now
     * @throws IOException when a region of another capacity is there (beckon does not resize one: its units would
     *     move), or the directory is not trusted ({@link SafeDirectories})
     */
    public static boolean ensure(Path region, long capacity) throws IOException {
        SafeDirectories.ensure(region.getParent());
        if (Files.exists(region, LinkOption.NOFOLLOW_LINKS)) {
            SafeDirectories.verifyEntry(region);
            long existing = WarmState.capacityOf(region);
            if (existing != capacity) {
                throw new IOException("its warm state " + region + " holds " + existing + " bytes and the model now says "
                        + capacity + "; beckon does not resize a region: take a snapshot, then remove the file or keep the old size");
            }
            return false;
        }
        WarmState.create(region, capacity);
        return true;
    }
}
