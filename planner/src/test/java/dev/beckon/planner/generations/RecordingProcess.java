package dev.beckon.planner.generations;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * A second deployer for the concurrency and crash tests, run in its own JVM: records generations into a profile
 * and prints each number once {@link Generations#record} has returned, so the test knows which ones were
 * acknowledged. Every third round it also rolls back, so a kill can land inside {@link Generations#makeCurrent}.
 *
 * <p>Arguments: profile directory, number of generations to record (0: until killed).
 */
final class RecordingProcess {
    private RecordingProcess() {
    }

    public static void main(String[] arguments) {
        Path directory = Path.of(arguments[0]);
        int count = Integer.parseInt(arguments[1]);
        long pid = ProcessHandle.current().pid();
        try (Generations generations = Generations.open(directory, "default")) {
            for (int round = 1; count == 0 || round <= count; round++) {
                byte[] manifest = ("{\"pid\": " + pid + ", \"round\": " + round + "}").getBytes(StandardCharsets.UTF_8);
                Generation recorded = generations.record(manifest, Map.of("services.toml", manifest), "process-" + pid, null);
                System.out.println("recorded " + recorded.number());
                if (count == 0 && round % 3 == 0) {
                    generations.previous().ifPresent(previous -> generations.makeCurrent(previous.number()));
                }
            }
        }
    }
}
