package dev.beckon.planner.target;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.PackageDigest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Reaches {@link ClassDataTraining}'s record for tests in other packages. */
public final class ClassDataTrainingProbe {
    private ClassDataTrainingProbe() {}

    public static Optional<String> staleness(ManifestEntry entry) {
        return ClassDataTraining.staleness(entry);
    }

    /** Records {@code archive} as made with the JDK the entry's {@code java} belongs to, as a training start does. */
    public static void record(ManifestEntry entry, Path archive) throws IOException {
        AtomicFiles.write(archive.resolveSibling(ClassDataTraining.RECORD_NAME), new ClassDataTraining.Recorded(
                ClassDataTraining.jdkBuild(entry).orElseThrow(), Optional.of(PackageDigest.of(archive)), "").text(),
                AtomicFiles.READABLE);
    }
}
