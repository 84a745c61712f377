package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a no-op {@code beckon deploy} spends its time: the JDK's flight recorder samples its main thread every 2 ms
 * while it runs Java code or waits in native code (a read, an fsync, a connect), over several runs pooled. Each sample
 * counts once, for the innermost beckon method on its stack (with the beckon method that called it): the time in
 * that method and in the library and JDK code it called, which is where a library's start (Jackson's, dbus-java's)
 * shows. Waiting for a reply in Java (a D-Bus answer) is not sampled, and the recorder's own start is left out with
 * every sample that holds no beckon code.
 */
final class NoOpProfile {
    private static final String SETTINGS = """
            <?xml version="1.0" encoding="UTF-8"?>
            <configuration version="2.0">
              <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">2 ms</setting></event>
              <event name="jdk.NativeMethodSample"><setting name="enabled">true</setting><setting name="period">2 ms</setting></event>
            </configuration>
            """;

    /** A beckon method (with its caller) and the share of the sampled time spent in it and the library code it called. */
    record Row(String method, double share) {}

    /** The profile: its rows, largest first, and how many samples of beckon code they come from. */
    record Profile(List<Row> rows, int samples, int runs) {}

    private NoOpProfile() {}

    /**
     * Runs {@code beckon ARGUMENTS} {@code runs} times under the recorder (without the start archive: the recorder's
     * options are another archive key) and pools the samples of its main thread.
     */
    static Profile of(BeckonCli beckon, Path work, int runs, String... arguments) throws IOException {
        Files.createDirectories(work);
        Path settings = Files.writeString(work.resolve("no-op-profile.jfc"), SETTINGS);
        Map<String, Integer> innermost = new HashMap<>();
        int samples = 0;
        for (int run = 0; run < runs; run++) {
            Path recording = work.resolve("no-op-" + run + ".jfr");
            Files.deleteIfExists(recording);
            String options = String.join(" ", PlanningBenchmark.BECKON_JVM_OPTIONS) + " -XX:StartFlightRecording=filename=" + recording
                    + ",settings=" + settings;
            beckon.run(Map.of("BECKON_START_ARCHIVE", "0", "BECKON_JAVA_OPTS", options), process -> {}, arguments).requireSuccess();
            try (RecordingFile file = new RecordingFile(recording)) {
                while (file.hasMoreEvents()) {
                    RecordedEvent event = file.readEvent();
                    String type = event.getEventType().getName();
                    if (!type.equals("jdk.ExecutionSample") && !type.equals("jdk.NativeMethodSample")) {
                        continue;
                    }
                    RecordedThread thread = event.getThread("sampledThread");
                    if (thread == null || !"main".equals(thread.getJavaName()) || event.getStackTrace() == null) {
                        continue;
                    }
                    List<String> methods = new ArrayList<>();
                    for (RecordedFrame frame : event.getStackTrace().getFrames()) {
                        String owner = frame.getMethod().getType().getName();
                        String method = owner.substring(owner.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
                        if (owner.startsWith("dev.beckon.") && !method.contains("lambda$") && !owner.contains("$$Lambda")
                                && (methods.isEmpty() || !methods.get(methods.size() - 1).equals(method))) {
                            methods.add(method);
                            if (methods.size() == 2) {
                                break;
                            }
                        }
                    }
                    if (methods.isEmpty()) {
                        continue;
                    }
                    samples++;
                    innermost.merge(methods.size() == 1 ? methods.get(0) : methods.get(0) + " ← " + methods.get(1), 1, Integer::sum);
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        int all = samples;
        innermost.forEach((method, count) -> rows.add(new Row(method, count / (double) Math.max(1, all))));
        rows.sort((a, b) -> Double.compare(b.share(), a.share()));
        return new Profile(List.copyOf(rows), samples, runs);
    }
}
