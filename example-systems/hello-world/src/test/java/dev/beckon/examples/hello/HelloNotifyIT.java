package dev.beckon.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example's package as built, with {@code notify = true}: its lib/ holds the idle-monitor's one jar, whose sd_notify
 * binding (jnr-ffi) travels inside it. systemd puts a {@code Type=notify} service in its active state only on
 * {@code READY=1}, which the library sends at the first accept through that binding; without it the start would time out.
 */
@ExtendWith(SystemdSandboxExtension.class)
class HelloNotifyIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final String SERVICE = "beckon-default-hello.service";

    @Test
    void theLibrarysOwnJarTellsSystemdItIsReady(SystemdUserManager systemd, @TempDir Path dir) throws Exception {
        try (var jars = Files.list(EXAMPLE.resolve("target/hello-server/lib"))) {
            List<String> names = jars.map(jar -> jar.getFileName().toString()).sorted().toList();
            assertTrue(names.size() == 1 && names.get(0).startsWith("beckon-idle-monitor-"), "the library is one jar: " + names);
        }
        int port = Clients.freePort();
        Path model = Files.createDirectories(dir.resolve("model"));
        String services = Files.readString(EXAMPLE.resolve("services.toml"))
                .replace("package = \"target/hello-server\"", "package = \"" + EXAMPLE.resolve("target/hello-server") + "\"")
                .replace("ports = { greeting = 18080 }", "ports = { greeting = " + port + " }\nnotify = true\nready-timeout = \"60s\"");
        Files.writeString(model.resolve("services.toml"), services);
        Files.copy(EXAMPLE.resolve("distribution.toml"), model.resolve("distribution.toml"));
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        String home = dir.resolve("home").toString();

        BeckonProcess.Run deployed = BeckonProcess.withEnvironment(Map.of()).run("deploy", model.toString(), "--home", home);
        assertEquals(0, deployed.exitCode(), deployed.out() + deployed.err());
        assertEquals("notify", show(systemd, "Type"));

        assertEquals("hello from local\n", Clients.greeting(port));
        // Active is entered on READY=1 only; a start that never hears it stays "activating" until its timeout fails it.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (show(systemd, "ActiveEnterTimestampMonotonic").equals("0") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Long.parseLong(show(systemd, "ActiveEnterTimestampMonotonic")) > 0,
                "systemd never heard READY=1: " + show(systemd, "ActiveState") + "; " + systemd.systemctl("status", SERVICE));

        Files.writeString(model.resolve("distribution.toml"), "");
        BeckonProcess.Run removed = BeckonProcess.withEnvironment(Map.of()).run("deploy", model.toString(), "--home", home);
        assertEquals(0, removed.exitCode(), removed.out() + removed.err());
    }

    private static String show(SystemdUserManager systemd, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", SERVICE).stdout().strip();
    }
}
