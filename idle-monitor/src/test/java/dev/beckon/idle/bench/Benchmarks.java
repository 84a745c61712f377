package dev.beckon.idle.bench;

import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The process-level benchmarks: echo throughput with and without the monitor, and cold activation
 * through a systemd socket. Run by {@code idle-monitor/bench} (which also runs the JMH benchmark of
 * begin/end); never part of the tests. Every server runs on 127.0.0.1 and is killed by pid at the end.
 *
 * <p>Usage: {@code Benchmarks [throughput] [cold]} (both when none is named).
 */
public final class Benchmarks {
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 8);
    private static final long ROUND_MILLIS = Long.getLong("bench.round.millis", 2_000);
    private static final int COLD_STARTS = Integer.getInteger("bench.cold.starts", 15);
    private static final int MESSAGE_BYTES = 64;
    private static final int PERSISTENT_CONNECTIONS = 4;

    private Benchmarks() {}

    public static void main(String[] args) throws Exception {
        List<String> which = args.length == 0 ? List.of("throughput", "cold") : List.of(args);
        if (which.contains("throughput")) {
            throughput();
        }
        if (which.contains("cold")) {
            coldActivation();
        }
    }

    // ---- throughput ----

    private static void throughput() throws Exception {
        int plainPort = freePort();
        int monitoredPort = freePort();
        List<Process> servers = new ArrayList<>();
        try {
            servers.add(start(javaCommand(List.of(), "plain", String.valueOf(plainPort))));
            List<String> monitored = new ArrayList<>(List.of("/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:" + monitoredPort,
                    "--fdname=echo", "--setenv=BECKON_IDLE_TIMEOUT=1h"));
            monitored.addAll(javaCommand(List.of("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), "monitored"));
            servers.add(start(monitored));
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put("plain", plainPort);
            ports.put("monitored", monitoredPort);
            for (int port : ports.values()) {
                awaitEcho(port);
            }
            for (int warmUp = 0; warmUp < 2; warmUp++) { // the JIT settles on both servers and on the clients
                for (int port : ports.values()) {
                    persistent(port, ROUND_MILLIS);
                    perConnection(port, ROUND_MILLIS);
                }
            }
            Map<String, List<Double>> persistentRates = new LinkedHashMap<>();
            Map<String, List<Double>> connectionRates = new LinkedHashMap<>();
            for (int round = 0; round < ROUNDS; round++) {
                List<String> order = new ArrayList<>(ports.keySet());
                if (round % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (String server : order) {
                    persistentRates.computeIfAbsent(server, k -> new ArrayList<>()).add(persistent(ports.get(server), ROUND_MILLIS));
                    connectionRates.computeIfAbsent(server, k -> new ArrayList<>()).add(perConnection(ports.get(server), ROUND_MILLIS));
                }
            }
            System.out.println();
            System.out.printf(Locale.ROOT, "echo throughput, median of %d rounds of %d ms, servers and clients on this %d-core machine%n",
                    ROUNDS, ROUND_MILLIS, Runtime.getRuntime().availableProcessors());
            report("  requests/s over " + PERSISTENT_CONNECTIONS + " kept connections (64-byte echo, begin/end per request)",
                    persistentRates);
            report("  connections/s, one request each (accept through the monitor, 2 clients)", connectionRates);
        } finally {
            for (Process server : servers) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void report(String title, Map<String, List<Double>> rates) {
        double plain = median(rates.get("plain"));
        double monitored = median(rates.get("monitored"));
        System.out.printf(Locale.ROOT, "%s%n    without the monitor %,.0f  with it %,.0f  ratio %.3f (cost %+.1f%%)  rounds: %s | %s%n",
                title, plain, monitored, monitored / plain, (1 - monitored / plain) * 100, rounded(rates.get("plain")),
                rounded(rates.get("monitored")));
    }

    private static double persistent(int port, long millis) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(PERSISTENT_CONNECTIONS);
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            List<Future<Long>> counts = new ArrayList<>();
            for (int i = 0; i < PERSISTENT_CONNECTIONS; i++) {
                counts.add(clients.submit(() -> {
                    long done = 0;
                    byte[] message = new byte[MESSAGE_BYTES];
                    try (Socket socket = connect(port)) {
                        OutputStream out = socket.getOutputStream();
                        InputStream in = socket.getInputStream();
                        while (System.nanoTime() < deadline) {
                            out.write(message);
                            readFully(in, message);
                            done++;
                        }
                    }
                    return done;
                }));
            }
            long total = 0;
            for (Future<Long> count : counts) {
                total += count.get();
            }
            return total * 1000.0 / millis;
        } finally {
            clients.shutdownNow();
        }
    }

    private static double perConnection(int port, long millis) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            List<Future<Long>> counts = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                counts.add(clients.submit(() -> {
                    long done = 0;
                    byte[] message = new byte[MESSAGE_BYTES];
                    while (System.nanoTime() < deadline) {
                        try (Socket socket = connect(port)) {
                            // Reset instead of TIME_WAIT, or tens of thousands of closed connections exhaust the ports.
                            socket.setSoLinger(true, 0);
                            socket.getOutputStream().write(message);
                            readFully(socket.getInputStream(), message);
                        }
                        done++;
                    }
                    return done;
                }));
            }
            long total = 0;
            for (Future<Long> count : counts) {
                total += count.get();
            }
            return total * 1000.0 / millis;
        } finally {
            clients.shutdownNow();
        }
    }

    // ---- cold activation ----

    private static void coldActivation() throws Exception {
        Path directory = Files.createTempDirectory("beckon-idle-bench-");
        try (SystemdUserManager systemd = SystemdUserManager.start(directory)) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put("inherited", install(systemd, "cold-inherited", "StandardInput=socket\n", List.of(), "inherited"));
            ports.put("monitored", install(systemd, "cold-monitored", "StandardInput=socket\n", List.of(), "monitored"));
            ports.put("monitored, Type=notify", install(systemd, "cold-notify", "StandardInput=socket\nType=notify\n", List.of(),
                    "monitored"));
            ports.put("monitored, LISTEN_FDS", install(systemd, "cold-fds", "",
                    List.of("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), "monitored"));
            Map<String, String> units = Map.of("inherited", "cold-inherited", "monitored", "cold-monitored",
                    "monitored, Type=notify", "cold-notify", "monitored, LISTEN_FDS", "cold-fds");
            Map<String, List<Double>> latencies = new LinkedHashMap<>();
            for (int start = -1; start < COLD_STARTS; start++) {
                for (Map.Entry<String, Integer> variant : ports.entrySet()) {
                    // Every variant, not only this one: a previous one still ending would share the CPU.
                    for (String unit : units.values()) {
                        awaitInactive(systemd, unit + ".service");
                    }
                    Thread.sleep(100);
                    long began = System.nanoTime();
                    try (Socket socket = connect(variant.getValue())) {
                        socket.setSoTimeout(30_000);
                        socket.getOutputStream().write("x\n".getBytes());
                        readFully(socket.getInputStream(), new byte[2]);
                    } catch (IOException e) {
                        throw new IOException(variant.getKey() + " did not answer: " + e + "\n"
                                + systemd.systemctl("status", units.get(variant.getKey()) + ".service").stdout(), e);
                    }
                    double millis = (System.nanoTime() - began) / 1e6;
                    if (start >= 0) { // the first round only warms the page cache
                        latencies.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(millis);
                    }
                }
            }
            System.out.println();
            System.out.printf(Locale.ROOT, "cold activation through a systemd socket (connect to first echoed byte), %d starts each,"
                    + " interleaved%n", COLD_STARTS);
            double baseline = median(latencies.get("inherited"));
            for (Map.Entry<String, List<Double>> variant : latencies.entrySet()) {
                List<Double> sorted = variant.getValue().stream().sorted().toList();
                System.out.printf(Locale.ROOT, "  %-32s median %6.1f ms  min %6.1f  max %6.1f  ratio to inherited %.2f%n",
                        variant.getKey(), median(sorted), sorted.get(0), sorted.get(sorted.size() - 1), median(sorted) / baseline);
            }
            for (String unit : units.values()) {
                systemd.systemctl("stop", unit + ".socket", unit + ".service");
            }
        } finally {
            deleteRecursively(directory);
        }
    }

    private static int install(SystemdUserManager systemd, String name, String serviceExtra, List<String> jvmOptions, String mode)
            throws IOException {
        int port = freePort();
        Files.writeString(systemd.unitDirectory().resolve(name + ".socket"), "[Socket]\nListenStream=127.0.0.1:" + port + "\n");
        List<String> quoted = new ArrayList<>();
        for (String word : javaCommand(jvmOptions, mode)) {
            quoted.add("'" + word + "'");
        }
        Files.writeString(systemd.unitDirectory().resolve(name + ".service"), "[Unit]\nStartLimitIntervalSec=0\n[Service]\n"
                + "ExecStart=" + String.join(" ", quoted) + "\nEnvironment=BECKON_IDLE_TIMEOUT=200ms\n"
                + "StandardOutput=journal\nStandardError=journal\n" + serviceExtra);
        check(systemd.systemctl("daemon-reload").succeeded(), "daemon-reload failed");
        check(systemd.systemctl("start", name + ".socket").succeeded(), "cannot start " + name + ".socket");
        return port;
    }

    private static void awaitInactive(SystemdUserManager systemd, String unit) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!systemd.systemctl("show", "--property=ActiveState", "--value", unit).stdout().strip().equals("inactive")) {
            check(System.nanoTime() < deadline, unit + " did not end when idle");
            Thread.sleep(20);
        }
    }

    // ---- helpers ----

    /** {@code java [options] -cp CLASSPATH BenchEchoServer mode args}, with the JVM's default settings, as users run it. */
    private static List<String> javaCommand(List<String> options, String... serverArgs) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(options);
        // Absolute: systemd starts services in another working directory.
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        command.addAll(List.of("-cp", classPath, BenchEchoServer.class.getName()));
        command.addAll(List.of(serverArgs));
        return command;
    }

    private static Process start(List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    }

    private static void awaitEcho(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket socket = connect(port)) {
                socket.getOutputStream().write(new byte[1]);
                readFully(socket.getInputStream(), new byte[1]);
                return;
            } catch (ConnectException notYet) {
                check(System.nanoTime() < deadline, "nothing listens on " + port);
                Thread.sleep(20);
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return socket;
    }

    private static void readFully(InputStream in, byte[] buffer) throws IOException {
        int read = 0;
        while (read < buffer.length) {
            int n = in.read(buffer, read, buffer.length - read);
            if (n < 0) {
                throw new IOException("the server closed the connection");
            }
            read += n;
        }
    }

    private static int freePort() throws IOException {
        return dev.beckon.sandbox.FreePorts.onLoopback();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    private static String rounded(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).reduce((a, b) -> a + " " + b).orElse("");
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
