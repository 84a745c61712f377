package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.inetd.InetdModule;
import dev.beckon.activation.inetd.XinetdModule;
import dev.beckon.activation.systemd.SystemdUnitModule;
import dev.beckon.models.Limits;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.SocketPassing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each module writes the limits it enforces into its own files, and refuses those it cannot. */
class LimitRenderingTest {
    private static final Limits ALL = new Limits(OptionalLong.of(64L << 20), OptionalInt.of(32), OptionalInt.of(50), OptionalInt.of(256),
            OptionalInt.of(20), OptionalInt.of(4));
    private static final Limits RLIMITS = new Limits(OptionalLong.of(64L << 20), OptionalInt.empty(), OptionalInt.empty(),
            OptionalInt.of(256), OptionalInt.empty(), OptionalInt.empty());

    @TempDir
    Path dir;

    private ServiceInstance instance(String type, boolean accept, Limits limits, List<String> exec) {
        return new ServiceInstance("p", "s", "local", type, "", exec, new TreeMap<>(), new TreeMap<>(Map.of("main", 7000)),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 7000)),
                        Duration.ZERO, accept, SocketPassing.STDIN)),
                Optional.empty(), dir.resolve("instance"), new TreeMap<>(), dir.resolve("state")).withLimits(limits);
    }

    private static String file(Rendering rendering, String name) {
        return rendering.file(name).orElseThrow(() -> new AssertionError("no " + name + " in " + rendering)).content();
    }

    @Test
    void systemdPutsResourceLimitsInTheServiceAndConnectionBoundsInTheAcceptSocket() {
        Rendering rendering = new SystemdUnitModule().render(instance("systemd-unit", true, ALL, List.of("/bin/s")));
        String service = file(rendering, "beckon-p-s@.service");
        assertTrue(service.contains("MemoryMax=67108864\nTasksMax=32\nCPUQuota=50%\nLimitNOFILE=256\n"), service);
        String socket = file(rendering, "beckon-p-s.socket");
        assertTrue(socket.contains("Accept=yes\nMaxConnections=20\nMaxConnectionsPerSource=4\n"), socket);
    }

    /** One process for all connections: no manager counts them, so each module tells the service its bound. */
    @Test
    void aServiceTakingEveryConnectionInOneProcessGetsItsBoundInItsEnvironmentFromEveryModule() throws Exception {
        Limits connections = new Limits(OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.of(20), OptionalInt.empty());
        Rendering systemd = new SystemdUnitModule().render(instance("systemd-unit", false, connections, List.of("/bin/s")));
        assertTrue(file(systemd, "beckon-p-s.service").contains("Environment=\"BECKON_MAX_CONNECTIONS=20\"\n"), file(systemd, "beckon-p-s.service"));
        assertFalse(file(systemd, "beckon-p-s.socket").contains("MaxConnections"), file(systemd, "beckon-p-s.socket"));
        Rendering perConnection = new SystemdUnitModule().render(instance("systemd-unit", true, connections, List.of("/bin/s")));
        assertFalse(file(perConnection, "beckon-p-s@.service").contains("BECKON_MAX_CONNECTIONS"), "systemd counts these itself");

        String xinetd = file(new XinetdModule().render(instance("xinetd", false, connections, List.of("/bin/s"))), "beckon-p-s");
        assertFalse(xinetd.contains("instances"), "wait = yes runs one server: instances would bound nothing");

        // The server openbsd-inetd starts really gets it, through the launcher.
        ServiceInstance inetd = instance("inetd", false, connections, List.of("/bin/sh", "-c", "echo bound $BECKON_MAX_CONNECTIONS"));
        Rendering rendering = new InetdModule().render(inetd);
        Files.createDirectories(inetd.instanceDirectory());
        Files.createDirectories(inetd.stateDirectory().resolve("logs/p"));
        Path launcher = inetd.instanceDirectory().resolve(Launcher.FILE_NAME);
        Files.writeString(launcher, file(rendering, Launcher.FILE_NAME));
        Process run = new ProcessBuilder("/bin/sh", launcher.toString()).redirectErrorStream(true).start();
        assertTrue(run.waitFor(30, TimeUnit.SECONDS));
        assertEquals("bound 20\n", Files.readString(inetd.stateDirectory().resolve("logs/p/s.log")));
        assertThrows(IllegalArgumentException.class, () -> new InetdModule().render(instance("inetd", true, connections, List.of("/bin/s"))),
                "nowait: inetd cannot bound how many run at once");
    }

    @Test
    void withoutLimitsTheUnitsAreWhatTheyWereBefore() {
        ServiceInstance none = instance("systemd-unit", false, Limits.NONE, List.of("/bin/s"));
        Rendering rendering = new SystemdUnitModule().render(none);
        for (RenderedFile file : rendering.files()) {
            for (String directive : List.of("MemoryMax=", "TasksMax=", "CPUQuota=", "LimitNOFILE=", "MaxConnections")) {
                assertFalse(file.content().contains(directive), file.content());
            }
        }
    }

    @Test
    void xinetdGetsItsOwnAttributes() {
        Limits limits = new Limits(OptionalLong.of(64L << 20), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(256),
                OptionalInt.of(20), OptionalInt.of(4));
        String file = file(new XinetdModule().render(instance("xinetd", true, limits, List.of("/bin/s"))), "beckon-p-s");
        assertTrue(file.contains("    rlimit_as   = 67108864\n    rlimit_files = 256\n    instances   = 20\n    per_source  = 4\n"), file);
        IllegalArgumentException tasks = assertThrows(IllegalArgumentException.class,
                () -> new XinetdModule().render(instance("xinetd", true, ALL, List.of("/bin/s"))));
        assertEquals("s@local: xinetd cannot enforce limit tasks; remove it from the model or use type systemd-unit", tasks.getMessage());
    }

    @Test
    void inetdsLauncherSetsTheRlimitsItsServerRunsWith() throws Exception {
        ServiceInstance instance = instance("inetd", true, RLIMITS, List.of("/bin/sh", "-c", "echo files $(ulimit -n) memory $(ulimit -v)"));
        Rendering rendering = new InetdModule().render(instance);
        assertFalse(file(rendering, "inetd.conf").contains("ulimit"));
        Files.createDirectories(instance.instanceDirectory());
        Files.createDirectories(instance.stateDirectory().resolve("logs/p"));
        Path launcher = instance.instanceDirectory().resolve(Launcher.FILE_NAME);
        Files.writeString(launcher, file(rendering, Launcher.FILE_NAME));
        Process run = new ProcessBuilder("/bin/sh", launcher.toString()).redirectErrorStream(true).start();
        assertTrue(run.waitFor(30, TimeUnit.SECONDS));
        String log = Files.readString(instance.stateDirectory().resolve("logs/p/s.log"));
        assertEquals("files 256 memory 65536\n", log, "the server itself runs with the limits");
        assertThrows(IllegalArgumentException.class, () -> new InetdModule().render(instance("inetd", true, ALL, List.of("/bin/s"))));
    }
}
