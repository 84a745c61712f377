package dev.beckon.reliability;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment of ten services whose k-th activation fails, for every k: each time beckon exits 1,
 * the target is byte for byte and unit for unit what it was, and every service still greets with its
 * old greeting, from a process started from the old units.
 */
@ExtendWith(SystemdSandboxExtension.class)
class FailureAtEveryPositionIT {
    /** Two chains that join, so that the activation order is not the order of the names. */
    private static final Map<String, List<String>> DEPENDS_ON = Map.of(
            "s01", List.of(), "s02", List.of("s05"), "s03", List.of("s01"), "s04", List.of(), "s05", List.of("s04"),
            "s06", List.of("s03"), "s07", List.of("s06", "s02"), "s08", List.of(), "s09", List.of("s08"),
            "s10", List.of("s07", "s09"));
    private static final Pattern ACTIVATED = Pattern.compile("\\[local] [+~] (s\\d\\d) {2}(activated|changed) ");

    @TempDir
    Path dir;

    private final Map<String, Integer> ports = new TreeMap<>();

    @Test
    void aFailureAtAnyPositionLeavesTheTargetAsItWasAndEveryServiceAnswering(SystemdUserManager systemd) throws Exception {
        Path model = model(systemd);
        Path state = dir.resolve("state");
        String home = dir.resolve("home").toString();

        writeServices(model, "v1", "", 0);
        Run first = beckon("deploy", model.toString(), "--home", home, "-m", "v1");
        assertEquals(0, first.exitCode(), first.out() + first.err());
        List<String> order = activated(first.out());
        assertEquals(List.of("s01", "s04", "s08", "s03", "s05", "s09", "s02", "s06", "s07", "s10"), order,
                "by dependency level (what depends on nothing first), then by name");
        // Every service runs, so each undo must also bring back the processes of the old version.
        assertEveryServiceGreets("v1");
        String generations = beckon("generations", "--home", home).out();

        for (int k = 1; k <= order.size(); k++) {
            String failing = order.get(k - 1);
            Run failed;
            String before;
            try (ServerSocket taken = new ServerSocket()) {
                taken.bind(new InetSocketAddress("127.0.0.1", 0));
                writeServices(model, "v2", failing, taken.getLocalPort());
                before = TargetSnapshot.of(systemd, state, ports.values());
                long started = System.nanoTime();
                failed = beckon("deploy", model.toString(), "--home", home);
                System.out.printf("k=%d (%s): failed and undone in %.1f s%n", k, failing, (System.nanoTime() - started) / 1e9);
            }
            String told = "k=" + k + " (" + failing + "):\n" + failed.out() + failed.err();
            assertEquals(1, failed.exitCode(), told);
            assertEquals(order.subList(0, k - 1), activated(failed.out()), "the services before it were changed first; " + told);
            assertTrue(failed.out().contains("  [local] ~ " + failing + "  FAILED: "), told);
            assertTrue(failed.out().contains("Deployment failed and was undone: every target runs what it ran before.\n"
                    + "  failed: " + failing + "@local: "), told);
            assertEquals(before, TargetSnapshot.of(systemd, state, ports.values()), told);
            assertEveryServiceGreets("v1");
        }
        assertEquals(generations, beckon("generations", "--home", home).out(), "no failed deployment is recorded");

        writeServices(model, "v2", "", 0);
        Run fine = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, fine.exitCode(), fine.out() + fine.err());
        assertEquals(order, activated(fine.out()));
        assertEveryServiceGreets("v2");
        Files.writeString(model.resolve("distribution.toml"), "");
        assertEquals(0, beckon("deploy", model.toString(), "--home", home).exitCode());
    }

    @Test
    void aNewServiceWhoseSocketCannotListenFailsTheFirstDeploymentAndLeavesNothingBehind(SystemdUserManager systemd)
            throws Exception {
        // The new services of a level start together (their sockets as concurrent jobs); one that cannot listen still
        // fails the deployment by its name, and the undo removes every new service, started together or activated.
        Path model = model(systemd);
        Path state = dir.resolve("state");
        String home = dir.resolve("home").toString();
        for (String failing : List.of("s04", "s10")) {
            try (ServerSocket taken = new ServerSocket()) {
                taken.bind(new InetSocketAddress("127.0.0.1", 0));
                writeServices(model, "v1", failing, taken.getLocalPort());
                String before = TargetSnapshot.of(systemd, state, ports.values());
                Run failed = beckon("deploy", model.toString(), "--home", home);
                String told = failing + ":\n" + failed.out() + failed.err();
                assertEquals(1, failed.exitCode(), told);
                assertTrue(failed.out().contains("  [local] + " + failing + "  FAILED: "), told);
                assertTrue(failed.out().contains("Deployment failed and was undone: every target runs what it ran before.\n"
                        + "  failed: " + failing + "@local: "), told);
                // The first deployment leaves the state directory it made (its lock's guard, the roots' directory), nothing else.
                String after = TargetSnapshot.of(systemd, state, ports.values());
                String stateSection = "# state directory";
                assertEquals(before.substring(0, before.indexOf(stateSection)), after.substring(0, after.indexOf(stateSection)), told);
                assertFalse(after.substring(after.indexOf(stateSection)).contains("store"), "the copied package went too: " + after);
            }
        }
        writeServices(model, "v1", "", 0);
        Run fine = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, fine.exitCode(), fine.out() + fine.err());
        assertEveryServiceGreets("v1");
        Files.writeString(model.resolve("distribution.toml"), "");
        assertEquals(0, beckon("deploy", model.toString(), "--home", home).exitCode());
    }

    /** The model's directory, with the ten services' ports chosen and their target and distribution written. */
    private Path model(SystemdUserManager systemd) throws Exception {
        for (String service : DEPENDS_ON.keySet()) {
            ports.put(service, TestServices.freePort());
        }
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        StringBuilder distribution = new StringBuilder();
        DEPENDS_ON.keySet().stream().sorted().forEach(s -> distribution.append(s).append(" = [\"local\"]\n"));
        Files.writeString(model.resolve("distribution.toml"), distribution);
        return model;
    }

    /**
     * Ten services greeting with "NAME VERSION", each passed the addresses of what it depends on;
     * {@code failing}'s socket also listens on {@code busyPort}, which something else holds.
     */
    private void writeServices(Path model, String version, String failing, int busyPort) throws Exception {
        Path classes = Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        StringBuilder services = new StringBuilder();
        for (Map.Entry<String, Integer> service : ports.entrySet()) {
            String name = service.getKey();
            StringBuilder upstreams = new StringBuilder();
            for (String dependency : DEPENDS_ON.get(name)) {
                upstreams.append(", \"{deps.").append(dependency).append(".host}:{deps.").append(dependency).append(".ports.http}\"");
            }
            services.append("""
                    [services.%s]
                    type = "systemd-unit"
                    package = "%s"
                    exec = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", "{package}", "%s", "%s %s"%s]
                    class-data-archive = false
                    ports = { http = %d }
                    depends-on = [%s]
                    [services.%s.on-demand]
                    listen = ["127.0.0.1:{ports.http}"%s

                    """.formatted(name, classes, GreetingServer.class.getName(), name, version, upstreams, service.getValue(),
                    String.join(", ", DEPENDS_ON.get(name).stream().map(d -> "\"" + d + "\"").toList()), name,
                    // The test server takes one socket with System.inheritedChannel(); the failing one never runs.
                    name.equals(failing) ? ", \"127.0.0.1:" + busyPort + "\"]" : "]\npass = \"stdin\""));
        }
        Files.writeString(model.resolve("services.toml"), services);
    }

    private void assertEveryServiceGreets(String version) throws Exception {
        for (Map.Entry<String, Integer> service : ports.entrySet()) {
            assertEquals(service.getKey() + " " + version, TestServices.text(TestServices.greeting(service.getValue())));
        }
    }

    /** The services a deployment activated or changed, in the order it did. */
    private static List<String> activated(String output) {
        List<String> services = new ArrayList<>();
        for (String line : output.lines().toList()) {
            if (line.startsWith("Putting back")) {
                break;
            }
            Matcher matcher = ACTIVATED.matcher(line);
            if (matcher.find()) {
                services.add(matcher.group(1));
            }
        }
        return services;
    }
}
