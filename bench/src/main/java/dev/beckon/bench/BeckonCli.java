package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** {@code bin/beckon} as a user runs it: a process of its own, with its own JVM options, timed to its exit. */
final class BeckonCli {
    private static final Duration LIMIT = Duration.ofMinutes(10);

    private final Path root;

    BeckonCli(Path root) {
        this.root = root;
        if (!Files.isRegularFile(root.resolve("planner/target/beckon.jar"))) {
            throw new IllegalStateException("beckon is not built in " + root + ": run bench/run, which builds it");
        }
    }

    Command.Result run(String... arguments) throws IOException {
        return run(Map.of(), process -> {}, arguments);
    }

    /**
     * As {@link #run(String...)}, with {@code extra} added to the environment (BECKON_SSH_COMMAND, say), telling
     * {@code started} about the process ({@code bin/beckon} execs its JVM: the same pid) as soon as it runs.
     */
    Command.Result run(Map<String, String> extra, Consumer<ProcessHandle> started, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(root.resolve("bin/beckon").toString()));
        command.addAll(List.of(arguments));
        // The models name their bus; nothing of the calling shell's session may leak in.
        Map<String, String> environment = new HashMap<>();
        for (String name : List.of("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "BECKON_JAVA_OPTS", "BECKON_HOME", "BECKON_SANDBOX",
                "BECKON_DEBUG", "JAVA_TOOL_OPTIONS")) {
            environment.put(name, null);
        }
        environment.putAll(extra);
        return Command.run(command, environment, LIMIT, started);
    }

    /** The floor of any Java command line: a JVM with beckon's options running an empty main. */
    Command.Result jvmFloor() throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(PlanningBenchmark.BECKON_JVM_OPTIONS);
        command.addAll(List.of("-cp", BenchmarkRun.classPath(), JvmFloor.class.getName()));
        return Command.run(command, Map.of(), LIMIT);
    }
}
