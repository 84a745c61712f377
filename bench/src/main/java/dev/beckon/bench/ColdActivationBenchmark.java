package dev.beckon.bench;

import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * First-connection latency, connect to first byte, of the hello-world example behind its systemd
 * socket, against the same greeting served with plain {@link System#inheritedChannel()} behind the
 * same kind of socket, and against the example's server always running. All three are deployed by
 * beckon into the sandbox's systemd. Between two activations the service is stopped and its socket
 * kept, so every measured connection starts a new JVM (waiting for the idle exit would only be slower).
 */
final class ColdActivationBenchmark {
    static final String HELLO = "hello-world, socket-activated";
    static final String PLAIN = "plain inheritedChannel() server, socket-activated";
    static final String ALWAYS = "hello-world, always running";
    private static final int WARM_UP = 3;
    private static final int TIMEOUT_MILLIS = 30_000;
    /** After a stop, the exiting JVM must not share the CPU with the next start. */
    private static final long SETTLE_MILLIS = 100;

    record Result(int activations, Map<String, List<Double>> millis, String loadAverage) {
        Stats stats(String variant) {
            return Stats.of(millis.get(variant));
        }
    }

    private final Path work;
    private final Path root;
    private final BeckonCli beckon;
    private final int activations;

    ColdActivationBenchmark(Path work, Path root, BeckonCli beckon, int activations) {
        this.work = work;
        this.root = root;
        this.beckon = beckon;
        this.activations = activations;
    }

    Result run() throws IOException, InterruptedException {
        String load = Machine.loadAverage();
        try (SystemdUserManager systemd = SystemdUserManager.start(work.resolve("sandbox"))) {
            List<Integer> ports = Sockets.freePorts(3);
            Path model = writeModel(systemd, ports);
            beckon.run("deploy", model.toString(), "--home", work.resolve("home").toString()).requireSuccess();
            Map<String, Integer> variants = new LinkedHashMap<>();
            variants.put(HELLO, ports.get(0));
            variants.put(PLAIN, ports.get(1));
            Map<String, String> services = Map.of(HELLO, "beckon-default-hello.service", PLAIN, "beckon-default-plain.service");
            requireGreeting(ports.get(0), "hello from local");
            requireGreeting(ports.get(1), "hello from plain");
            requireGreeting(ports.get(2), "hello from local");

            Map<String, List<Double>> millis = new LinkedHashMap<>();
            for (int i = -WARM_UP; i < activations; i++) {
                List<String> order = new ArrayList<>(variants.keySet());
                if (i % 2 != 0) {
                    java.util.Collections.reverse(order);
                }
                for (String variant : order) {
                    stop(systemd, services.get(variant));
                    Thread.sleep(SETTLE_MILLIS);
                    double latency = Sockets.timeToFirstByte(variants.get(variant), TIMEOUT_MILLIS);
                    if (i >= 0) {
                        millis.computeIfAbsent(variant, k -> new ArrayList<>()).add(latency);
                    }
                }
                if (i >= 0 && (i + 1) % 25 == 0) {
                    System.out.printf(Locale.ROOT, "  %d activations each: median %s %.0f ms, %s %.0f ms%n", i + 1, "hello-world",
                            Stats.of(millis.get(HELLO)).median(), "plain", Stats.of(millis.get(PLAIN)).median());
                }
            }
            for (int i = -WARM_UP * 10; i < activations; i++) {
                double latency = Sockets.timeToFirstByte(ports.get(2), TIMEOUT_MILLIS);
                if (i >= 0) {
                    millis.computeIfAbsent(ALWAYS, k -> new ArrayList<>()).add(latency);
                }
            }
            Map<String, List<Double>> ordered = new LinkedHashMap<>();
            for (String variant : List.of(HELLO, PLAIN, ALWAYS)) {
                ordered.put(variant, millis.get(variant));
            }
            return new Result(activations, ordered, load);
        }
    }

    /**
     * The example's own services.toml, with its package made absolute and its port moved to a free one
     * (the tests that run meanwhile use its 18080), plus the plain server and the always-running copy.
     */
    private Path writeModel(SystemdUserManager systemd, List<Integer> ports) throws IOException {
        Path example = root.resolve("example-systems/hello-world");
        String original = Files.readString(example.resolve("services.toml"));
        String hello = original.replace("package = \"target/hello-server\"",
                "package = \"" + example.resolve("target/hello-server") + "\"")
                .replace("ports = { greeting = 18080 }", "ports = { greeting = " + ports.get(0) + " }");
        if (hello.equals(original) || hello.contains("18080") || hello.contains("\"target/hello-server\"")) {
            throw new IllegalStateException("example-systems/hello-world/services.toml changed its package or port line; update "
                    + getClass().getSimpleName());
        }
        Path classes = Path.of(BenchmarkRun.codeSource(PlainGreetingServer.class));
        String plain = """

                [services.plain]
                description = "The same greeting, with plain System.inheritedChannel()"
                type = "systemd-unit"
                package = "%s"
                exec = ["java", %s, "-cp", "{package}", "%s", "hello from plain"]
                ports = { greeting = %d }

                [services.plain.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                pass = "stdin"

                [services.always]
                description = "The hello-world server, always running"
                type = "systemd-unit"
                package = "%s"
                exec = ["java", %s, "-jar", "{package}/hello-server.jar", "--greeting", "hello from {target.name}", "--port", "{ports.greeting}"]
                ports = { greeting = %d }
                """.formatted(classes, HelloModels.JVM_OPTIONS, PlainGreetingServer.class.getName(), ports.get(1),
                example.resolve("target/hello-server"), HelloModels.JVM_OPTIONS, ports.get(2));
        Path model = Files.createDirectories(work.resolve("model"));
        Files.writeString(model.resolve("services.toml"), hello + plain);
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"local\"]\nplain = [\"local\"]\nalways = [\"local\"]\n");
        Files.writeString(model.resolve("infrastructure.toml"), HelloModels.infrastructure(systemd, work.resolve("state")));
        return model;
    }

    private static void stop(SystemdUserManager systemd, String service) {
        CommandResult stopped = systemd.systemctl("stop", service);
        if (!stopped.succeeded()) {
            throw new IllegalStateException("cannot stop " + service + ": " + stopped);
        }
    }

    private static void requireGreeting(int port, String expected) throws IOException {
        String greeting = Sockets.greeting(port, TIMEOUT_MILLIS);
        if (!greeting.equals(expected)) {
            throw new IllegalStateException("127.0.0.1:" + port + " said \"" + greeting + "\", not \"" + expected + "\"");
        }
    }
}
