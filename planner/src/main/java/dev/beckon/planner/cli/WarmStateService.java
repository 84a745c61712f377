package dev.beckon.planner.cli;

import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The service whose warm state {@code snapshot}, {@code snapshots} and {@code restore} work on: one instance of it. */
final class WarmStateService {
    @Parameters(index = "0", paramLabel = "SERVICE", description = "A service of the profile's current generation.")
    String service;

    @Option(names = "--target", paramLabel = "TARGET", description = "The target, where the service runs on several.")
    String target;

    Optional<String> target() {
        return Optional.ofNullable(target);
    }
}
