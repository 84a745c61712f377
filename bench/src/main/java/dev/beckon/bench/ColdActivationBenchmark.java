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
 * socket ({@code pass = "listen-fds"}, its default), with the class-data archive beckon makes at deploy
 * and without one ({@code class-data-archive = false}), and without one on standard input ({@code pass = "stdin"}); against the same greeting served with plain
 * {@link System#inheritedChannel()} behind the same kind of socket, with and without an archive, that greeting through
 * the idle-monitor ({@link MonitoredGreetingServer}: the library's own cost), with and without an archive, the C
 * example (sd_listen_fds(), built here with gcc), the JVM floor (an empty main, start to exit), and the
 * example's server always running. All but the floor are deployed by beckon into
 * the sandbox's systemd. Between two activations the service is stopped and its socket
 * kept, so every measured connection starts a new JVM (waiting for the idle exit would only be slower).
 */
final class ColdActivationBenchmark {
    static final String HELLO = "hello-world, socket-activated, with its class-data archive";
    static final String HELLO_WITHOUT = "hello-world, socket-activated, without an archive (pass = listen-fds)";
    static final String HELLO_STDIN = "hello-world, socket-activated, without an archive, pass = stdin";
    static final String PLAIN = "plain inheritedChannel() server, socket-activated, with an archive";
    static final String PLAIN_WITHOUT = "plain inheritedChannel() server, socket-activated, without an archive";
    static final String MONITORED = "the plain server's greeting through the idle-monitor, socket-activated, with an archive";
    static final String MONITORED_WITHOUT = "the plain server's greeting through the idle-monitor, socket-activated, without an archive";
    static final String C_GREETER = "C server (sd_listen_fds), socket-activated";
    static final String JVM_FLOOR = "JVM floor: an empty main, start to exit (no socket)";
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
            List<Integer> ports = Sockets.freePorts(9);
            Path model = writeModel(systemd, ports);
            beckon.run("deploy", model.toString(), "--home", work.resolve("home").toString()).requireSuccess();
            Map<String, Integer> variants = new LinkedHashMap<>();
            variants.put(HELLO, ports.get(0));
            variants.put(HELLO_WITHOUT, ports.get(3));
            variants.put(PLAIN, ports.get(1));
            variants.put(PLAIN_WITHOUT, ports.get(5));
            variants.put(C_GREETER, ports.get(4));
            variants.put(HELLO_STDIN, ports.get(6));
            variants.put(MONITORED, ports.get(7));
            variants.put(MONITORED_WITHOUT, ports.get(8));
            Map<String, String> services = Map.of(HELLO, "beckon-default-hello.service", PLAIN, "beckon-default-plain.service",
                    HELLO_WITHOUT, "beckon-default-hellowithout.service", PLAIN_WITHOUT, "beckon-default-plainwithout.service",
                    C_GREETER, "beckon-default-cgreeter.service", HELLO_STDIN, "beckon-default-hellostdin.service",
                    MONITORED, "beckon-default-monitored.service", MONITORED_WITHOUT, "beckon-default-monitoredwithout.service");
            requireGreeting(ports.get(0), "hello from local");
            requireGreeting(ports.get(1), "hello from plain");
            requireGreeting(ports.get(2), "hello from local");
            requireGreeting(ports.get(3), "hello from local");
            requireGreeting(ports.get(4), "hello from C (socket greeting)");
            requireGreeting(ports.get(5), "hello from plain");
            requireGreeting(ports.get(6), "hello from stdin");
            requireGreeting(ports.get(7), "hello from plain");
            requireGreeting(ports.get(8), "hello from plain");

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
                double floor = beckon.jvmFloor().requireSuccess().millis();
                if (i >= 0) {
                    millis.computeIfAbsent(JVM_FLOOR, k -> new ArrayList<>()).add(floor);
                }
                if (i >= 0 && ((i + 1) % 25 == 0 || i + 1 == activations)) {
                    System.out.printf(Locale.ROOT, "  %d activations each: median hello-world %.0f ms (without archive %.0f ms),"
                            + " plain %.0f ms (without archive %.0f ms)%n", i + 1, Stats.of(millis.get(HELLO)).median(),
                            Stats.of(millis.get(HELLO_WITHOUT)).median(), Stats.of(millis.get(PLAIN)).median(),
                            Stats.of(millis.get(PLAIN_WITHOUT)).median());
                }
            }
            for (int i = -WARM_UP * 10; i < activations; i++) {
                double latency = Sockets.timeToFirstByte(ports.get(2), TIMEOUT_MILLIS);
                if (i >= 0) {
                    millis.computeIfAbsent(ALWAYS, k -> new ArrayList<>()).add(latency);
                }
            }
            Map<String, List<Double>> ordered = new LinkedHashMap<>();
            for (String variant : List.of(HELLO, HELLO_WITHOUT, HELLO_STDIN, PLAIN, PLAIN_WITHOUT, MONITORED, MONITORED_WITHOUT, C_GREETER,
                    JVM_FLOOR, ALWAYS)) {
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
        Path classes = plainServerJar();
        Path monitored = monitoredServerJars(example.resolve("target/hello-server/lib"));
        String plain = """

                [services.plain]
                description = "The same greeting, with plain System.inheritedChannel()"
                type = "systemd-unit"
                package = "%s"
                exec = ["java", %s, "-cp", "{package}/plain-server.jar", "%s", "hello from plain"]
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

                [services.hellowithout]
                description = "The hello-world server, without a class-data archive"
                type = "systemd-unit"
                class-data-archive = false
                package = "%s"
                exec = ["java", %s, "-jar", "{package}/hello-server.jar", "--greeting", "hello from {target.name}"]
                ports = { greeting = %d }

                [services.hellowithout.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                idle-timeout = "5s"

                [services.plainwithout]
                description = "The plain greeting, without a class-data archive"
                type = "systemd-unit"
                class-data-archive = false
                package = "%s"
                exec = ["java", %s, "-cp", "{package}/plain-server.jar", "%s", "hello from plain"]
                ports = { greeting = %d }

                [services.plainwithout.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                pass = "stdin"

                [services.hellostdin]
                description = "The hello-world server taking its socket on standard input, without a class-data archive"
                type = "systemd-unit"
                class-data-archive = false
                package = "%s"
                exec = ["java", %s, "-jar", "{package}/hello-server.jar", "--greeting", "hello from stdin"]
                ports = { greeting = %d }

                [services.hellostdin.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                idle-timeout = "5s"
                pass = "stdin"

                [services.cgreeter]
                description = "The C example: sd_listen_fds() from libsystemd"
                type = "systemd-unit"
                package = "%s"
                exec = ["{package}/c-greeter", "--greeting", "hello from C", "--exit-when-idle", "5"]
                ports = { greeting = %d }

                [services.cgreeter.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                idle-timeout = "5s"
                """.formatted(classes, HelloModels.JVM_OPTIONS, PlainGreetingServer.class.getName(), ports.get(1),
                example.resolve("target/hello-server"), HelloModels.JVM_OPTIONS, ports.get(2),
                example.resolve("target/hello-server"), HelloModels.JVM_OPTIONS, ports.get(3),
                classes, HelloModels.JVM_OPTIONS, PlainGreetingServer.class.getName(), ports.get(5),
                example.resolve("target/hello-server"), HelloModels.JVM_OPTIONS, ports.get(6), buildCGreeter(), ports.get(4))
                + monitoredService("monitored", true, monitored, ports.get(7))
                + monitoredService("monitoredwithout", false, monitored, ports.get(8));
        Path model = Files.createDirectories(work.resolve("model"));
        Files.writeString(model.resolve("services.toml"), hello + plain);
        Files.writeString(model.resolve("distribution.toml"),
                "hello = [\"local\"]\nplain = [\"local\"]\nalways = [\"local\"]\nhellowithout = [\"local\"]\ncgreeter = [\"local\"]\n"
                + "plainwithout = [\"local\"]\nhellostdin = [\"local\"]\nmonitored = [\"local\"]\nmonitoredwithout = [\"local\"]\n");
        Files.writeString(model.resolve("infrastructure.toml"), HelloModels.infrastructure(systemd, work.resolve("state")));
        return model;
    }

    /**
     * The plain server's one class in a jar of its own, in a directory that is its package: a JVM archives the classes
     * of jars only, never of a directory on the class path, so this is how a plain server is deployed to get an archive.
     */
    private Path plainServerJar() throws IOException {
        Path directory = Files.createDirectories(work.resolve("plain-server"));
        writeJarOf(PlainGreetingServer.class, directory.resolve("plain-server.jar"));
        return directory;
    }

    /** A jar holding one class of this module's. */
    private static void writeJarOf(Class<?> type, Path jarFile) throws IOException {
        String entry = type.getName().replace('.', '/') + ".class";
        Path classFile = Path.of(BenchmarkRun.codeSource(type)).resolve(entry);
        try (java.util.jar.JarOutputStream jar = new java.util.jar.JarOutputStream(Files.newOutputStream(jarFile))) {
            jar.putNextEntry(new java.util.jar.JarEntry(entry));
            jar.write(Files.readAllBytes(classFile));
            jar.closeEntry();
        }
    }

    /** {@link MonitoredGreetingServer} as a service of the model, its socket on standard input as the plain server's. */
    private static String monitoredService(String name, boolean archive, Path jars, int port) {
        return """

                [services.%1$s]
                description = "The plain server's greeting through the idle-monitor, %2$s"
                type = "systemd-unit"%3$s
                package = "%4$s"
                exec = ["java", %5$s, "-cp", "{package}/monitored-server.jar:{package}/beckon-idle-monitor.jar", "%6$s", "hello from plain"]
                ports = { greeting = %7$d }

                [services.%1$s.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                idle-timeout = "5s"
                pass = "stdin"
                """.formatted(name, archive ? "with a class-data archive" : "without a class-data archive",
                archive ? "" : "\nclass-data-archive = false", jars, HelloModels.JVM_OPTIONS, MonitoredGreetingServer.class.getName(), port);
    }

    /**
     * {@link MonitoredGreetingServer} in a jar of its own, as the plain server is, beside the idle-monitor's jar, the one
     * jar the library is: the directory holding both.
     */
    private Path monitoredServerJars(Path exampleLibraries) throws IOException {
        Path directory = Files.createDirectories(work.resolve("monitored-server"));
        writeJarOf(MonitoredGreetingServer.class, directory.resolve("monitored-server.jar"));
        try (var jars = Files.list(exampleLibraries)) {
            Path library = jars.filter(jar -> jar.getFileName().toString().startsWith("beckon-idle-monitor-")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no beckon-idle-monitor jar in " + exampleLibraries
                            + "; build the hello-world example first"));
            Files.copy(library, directory.resolve("beckon-idle-monitor.jar"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return directory;
    }

    /** The C example, compiled as its README says (gcc, libsystemd); the directory holding it. */
    private Path buildCGreeter() throws IOException {
        Path directory = Files.createDirectories(work.resolve("c-greeter"));
        List<String> gcc = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-o", directory.resolve("c-greeter").toString(),
                root.resolve("example-systems/c-greeter/src/main/c/c-greeter.c").toString()));
        try {
            Process flags = new ProcessBuilder("pkg-config", "--cflags", "--libs", "libsystemd").redirectErrorStream(true).start();
            gcc.addAll(List.of(new String(flags.getInputStream().readAllBytes()).strip().split("\\s+")));
            Process compile = new ProcessBuilder(gcc).redirectErrorStream(true).start();
            String output = new String(compile.getInputStream().readAllBytes());
            if (flags.waitFor() != 0 || compile.waitFor() != 0) {
                throw new IllegalStateException("cannot build the C example (bin/install-test-dependencies installs gcc, libsystemd-dev,"
                        + " pkg-config): " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the C example", e);
        }
        return directory;
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
