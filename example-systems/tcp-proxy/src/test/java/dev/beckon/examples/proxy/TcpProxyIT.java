package dev.beckon.examples.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The tcp-proxy example deployed into a real systemd user manager: ordering, connection parameters, re-activation. */
@ExtendWith(SystemdSandboxExtension.class)
class TcpProxyIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();

    @Test
    void theProxyFindsHelloThroughItsDependencyAndFollowsItWhenItMoves(SystemdUserManager systemd, @TempDir Path dir)
            throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        writeServices(model, 18090);
        Files.copy(EXAMPLE.resolve("distribution.toml"), model.resolve("distribution.toml"));
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                hostname = "127.0.0.1"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                bus = "%s"
                journal-directory = "%s"
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
        String home = dir.resolve("home").toString();

        String[] first = beckon("deploy", model.toString(), "--home", home);
        assertEquals("0", first[0], first[1] + first[2]);
        assertTrue(first[1].indexOf("+ hello  activated") < first[1].indexOf("+ proxy  activated"),
                "hello, which the proxy depends on, is activated first:\n" + first[1]);
        assertEquals("hello through the proxy\n", ask(18091));
        assertEquals("active", systemd.systemctl("show", "--property=ActiveState", "--value",
                "beckon-default-hello.service").stdout().strip(), "the proxy's connection started hello");

        writeServices(model, 18092);
        String[] plan = beckon("plan", model.toString(), "--home", home);
        assertTrue(plan[1].contains("  # proxy@local will be changed\n    (beckon-default-proxy.service changed)\n"
                + "    (dependency hello changed)\n"), plan[1]);
        String[] moved = beckon("deploy", model.toString(), "--home", home);
        assertEquals("0", moved[0], moved[1] + moved[2]);
        assertEquals("hello through the proxy\n", ask(18091), "the proxy follows hello to its new port");

        Files.writeString(model.resolve("distribution.toml"), "");
        String[] removed = beckon("deploy", model.toString(), "--home", home);
        assertTrue(removed[1].indexOf("- proxy  deactivated") < removed[1].indexOf("- hello  deactivated"),
                "the dependant goes first:\n" + removed[1]);
        try (var units = Files.list(systemd.unitDirectory())) {
            assertEquals(List.of(), units.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList());
        }
    }

    private static void writeServices(Path model, int helloPort) throws IOException {
        Files.writeString(model.resolve("services.toml"), Files.readString(EXAMPLE.resolve("services.toml"))
                .replace("package = \"../hello-world/target/hello-server\"",
                        "package = \"" + EXAMPLE.resolve("../hello-world/target/hello-server").normalize() + "\"")
                .replace("package = \"target/tcp-proxy\"", "package = \"" + EXAMPLE.resolve("target/tcp-proxy") + "\"")
                .replace("greeting = 18090", "greeting = " + helloPort));
    }

    private static String ask(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(30_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String[] beckon(String... args) {
        BeckonProcess.Run run = BeckonProcess.withEnvironment(Map.of()).run(args);
        return new String[] {String.valueOf(run.exitCode()), run.out(), run.err()};
    }
}
