package dev.beckon.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment of many small on-demand services (never activated), and its removal, by a deployer in
 * a JVM of its own with a small heap. Watched from outside: its heap through its GC log, its open file
 * descriptors and threads through /proc, its D-Bus connections by asking the bus which connections
 * belong to its pid.
 */
@ExtendWith(SystemdSandboxExtension.class)
class ResourceBoundsIT {
    private static final int SERVICES = LongVariants.choose(200, 1_000);
    private static final String HEAP_LIMIT = "-Xmx256m";
    private static final int MOST_FILE_DESCRIPTORS = 200;
    /** {@code [0.345s][info][gc] GC(3) Pause Young (Allocation Failure) 68M->5M(247M) 9.123ms} */
    private static final Pattern GC_PAUSE = Pattern.compile("Pause .*? (\\d+)M->(\\d+)M\\((\\d+)M\\)");

    @TempDir
    Path dir;

    /** What one deployer process used at most, as seen from outside. */
    record Usage(int exitCode, double seconds, int heapBeforeGcMb, int heapAfterGcMb, int collections, int fileDescriptors,
            int threads, int busConnections, int distinctBusConnections, String output) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.1f s, heap at most %d MB used (%d MB live after a collection; %d collections),"
                    + " %d file descriptors, %d threads, %d D-Bus connection(s) at once, %d in all", seconds, heapBeforeGcMb,
                    heapAfterGcMb, collections, fileDescriptors, threads, busConnections, distinctBusConnections);
        }
    }

    @Test
    void deployingAndRemovingManyServicesKeepsHeapFileDescriptorsAndBusConnectionsBounded(SystemdUserManager systemd)
            throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Path sockets = Files.createDirectories(dir.resolve("sockets"));
        Path classes = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        StringBuilder services = new StringBuilder();
        StringBuilder distribution = new StringBuilder();
        for (int i = 1; i <= SERVICES; i++) {
            String name = String.format("s%04d", i);
            // Unix sockets: a thousand TCP ports could not be had for sure on a machine others use too.
            services.append("""
                    [services.%s]
                    type = "systemd-unit"
                    package = "%s"
                    exec = ["java", "-cp", "{package}", "%s", "%s"]
                    class-data-archive = false
                    [services.%s.on-demand]
                    listen = ["%s"]
                    pass = "stdin"
                    idle-timeout = "30s"
                    """.formatted(name, classes, GreetingServer.class.getName(), name, name, sockets.resolve(name + ".sock")));
            distribution.append(name).append(" = [\"local\"]\n");
        }
        Files.writeString(model.resolve("services.toml"), services);
        Files.writeString(model.resolve("distribution.toml"), distribution);

        Usage deploy = deployer(systemd, model, "deploy");
        System.out.println("deploying " + SERVICES + " services: " + deploy);
        assertEquals(0, deploy.exitCode(), deploy.output());
        assertTrue(deploy.output().contains("Plan: " + SERVICES + " to activate, 0 to change, 0 to deactivate."), deploy.output());
        try (Stream<Path> listening = Files.list(sockets)) {
            assertEquals(SERVICES, listening.count(), "every service's socket listens");
        }
        assertBounded(deploy);

        Files.writeString(model.resolve("distribution.toml"), "");
        Usage removal = deployer(systemd, model, "remove");
        System.out.println("removing " + SERVICES + " services: " + removal);
        assertEquals(0, removal.exitCode(), removal.output());
        assertTrue(removal.output().contains("Plan: 0 to activate, 0 to change, " + SERVICES + " to deactivate."), removal.output());
        assertBounded(removal);
        assertEquals("", systemd.unitSnapshot("beckon-"), "nothing of them is left");
    }

    private static void assertBounded(Usage usage) {
        assertTrue(usage.fileDescriptors() < MOST_FILE_DESCRIPTORS, usage.toString());
        assertEquals(1, usage.busConnections(), "one connection to the one target's manager at a time: " + usage);
        // The heap limit bounds it already (a deployer that needed more would have failed); what it keeps
        // alive must also be a small part of it.
        assertTrue(usage.heapAfterGcMb() < 128, usage.toString());
    }

    /** Runs {@code bin/beckon deploy MODEL}, a JVM of its own, and watches it until it ends. */
    private Usage deployer(SystemdUserManager systemd, Path model, String name) throws Exception {
        Path gcLog = dir.resolve(name + "-gc.log");
        Path output = dir.resolve(name + ".out");
        // bin/beckon's own JVM options, with the heap limit and a GC log added.
        ProcessBuilder builder = BeckonProcess.withEnvironment(Map.of("BECKON_JAVA_OPTS", String.join(" ", HEAP_LIMIT,
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xlog:gc:file=" + gcLog)))
                .builder(List.of("deploy", model.toString(), "--home", dir.resolve("home").toString()));
        long started = System.nanoTime();
        // bin/beckon execs java, so the process watched below is the deployer's JVM itself.
        Process process = builder.redirectErrorStream(true).redirectOutput(output.toFile()).start();
        int fileDescriptors = 0;
        int threads = 0;
        int busConnections = 0;
        Set<String> connectionsSeen = new TreeSet<>();
        while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
            fileDescriptors = Math.max(fileDescriptors, count(Path.of("/proc", String.valueOf(process.pid()), "fd")));
            threads = Math.max(threads, count(Path.of("/proc", String.valueOf(process.pid()), "task")));
            List<String> connections = busConnectionsOf(systemd, process.pid());
            connectionsSeen.addAll(connections);
            busConnections = Math.max(busConnections, connections.size());
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int before = 0;
        int after = 0;
        int collections = 0;
        List<String> gcLines = Files.readAllLines(gcLog);
        // The bounds below are read from it: a log without its start line (one cut or overwritten) proves nothing.
        assertTrue(gcLines.stream().anyMatch(line -> line.contains("Using Serial")), "the deployer's GC log: " + gcLines);
        for (String line : gcLines) {
            Matcher pause = GC_PAUSE.matcher(line);
            if (pause.find()) {
                collections++;
                before = Math.max(before, Integer.parseInt(pause.group(1)));
                after = Math.max(after, Integer.parseInt(pause.group(2)));
            }
        }
        return new Usage(process.exitValue(), seconds, before, after, collections, fileDescriptors, threads, busConnections,
                connectionsSeen.size(), Files.readString(output));
    }

    private static int count(Path directory) {
        try (Stream<Path> entries = Files.list(directory)) {
            return (int) entries.count();
        } catch (IOException | java.io.UncheckedIOException goneMeanwhile) {
            return 0;
        }
    }

    /** The unique names of the connections the bus daemon has from this pid, asked with busctl. */
    private static List<String> busConnectionsOf(SystemdUserManager systemd, long pid) throws IOException, InterruptedException {
        Process busctl = new ProcessBuilder("busctl", "--address=" + systemd.busAddress(), "list", "--unique", "--no-legend",
                "--no-pager").redirectErrorStream(true).start();
        String listing = new String(busctl.getInputStream().readAllBytes());
        busctl.waitFor();
        List<String> connections = new ArrayList<>();
        for (String line : listing.lines().toList()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 1 && fields[1].equals(String.valueOf(pid))) {
                connections.add(fields[0]);
            }
        }
        return connections;
    }
}
