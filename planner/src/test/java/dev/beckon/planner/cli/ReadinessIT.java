package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness through {@code bin/beckon} against a real systemd user manager: a new version that is not ready
 * (binds the wrong port, dies after 2 s, fails its http check, never notifies) fails the deployment, which is
 * undone, and the old version answers again; {@code status} says {@code unhealthy} for a running instance
 * whose check fails; an on-demand service with {@code verify = "start"} is started and checked at deploy time.
 */
@ExtendWith(SystemdSandboxExtension.class)
class ReadinessIT {
    /**
     * {@code server.py PORT VERSION MODE SICK_FILE}: an HTTP server answering {@code VERSION} (500 while
     * SICK_FILE exists). Modes: {@code serve}; {@code notify} (READY=1 once it listens); {@code never-notify};
     * {@code http-500}; {@code die-after-2s} (exits 3 without listening); {@code fd} (serves the socket on fd 3).
     */
    private static final String SERVER = """
            import http.server, os, socket, sys, time
            port, version, mode, sick = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
            if mode == "die-after-2s":
                time.sleep(2)
                sys.exit(3)
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    bad = mode == "http-500" or os.path.exists(sick)
                    body = (("sick " if bad else "") + version).encode()
                    self.send_response(500 if bad else 200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            if mode == "fd":
                server = http.server.HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
                server.socket.close()
                server.socket = socket.socket(fileno=3)
            else:
                server = http.server.HTTPServer(("127.0.0.1", port), Handler)
            if mode == "notify":
                notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                address = os.environ["NOTIFY_SOCKET"]
                notify.sendto(b"READY=1", "\\0" + address[1:] if address.startswith("@") else address)
            server.serve_forever()
            """;

    @TempDir
    Path dir;

    private Path model;
    private String home;
    private Path script;
    private Path sick;
    private int port;
    private int wrongPort;
    private int onDemandPort;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        home = dir.resolve("home").toString();
        script = Files.writeString(dir.resolve("server.py"), SERVER);
        sick = dir.resolve("sick");
        port = TestServices.freePort();
        wrongPort = TestServices.freePort();
        onDemandPort = TestServices.freePort();
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(dir.resolve("state")));
        Files.writeString(model.resolve("distribution.toml"), "web = [\"local\"]\n");
    }

    /** The always-on service {@code web}, checked over http on its port {@code http}. */
    private void writeWeb(String version, String mode, String bindPort, String extra) throws IOException {
        writeWeb(version, mode, bindPort, extra, "3s");
    }

    private void writeWeb(String version, String mode, String bindPort, String extra, String readyTimeout) throws IOException {
        Files.writeString(model.resolve("services.toml"), """
                [services.web]
                type = "systemd-unit"
                exec = ["/usr/bin/python3", "%s", "%s", "%s", "%s", "%s"]
                ports = { http = %d, wrong = %d }
                ready-timeout = "%s"
                %s
                [services.web.health]
                http = "http://127.0.0.1:{ports.http}/health"
                interval = "100ms"
                retries = 2
                """.formatted(script, bindPort, version, mode, sick, port, wrongPort, readyTimeout, extra));
    }

    private String answer(int port) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
        connection.setConnectTimeout(10_000);
        connection.setReadTimeout(30_000);
        try (var in = connection.getResponseCode() >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            connection.disconnect();
        }
    }

    private Run deploy() {
        return beckon("deploy", model.toString(), "--home", home);
    }

    private void assertUndone(Run run, String why, String expectedVersion) throws IOException {
        assertEquals(1, run.exitCode(), run.output());
        assertTrue(run.out().contains("Deployment failed and was undone"), run.output());
        assertTrue(run.output().contains(why), run.output());
        assertEquals(expectedVersion, answer(port), "the old version serves again");
    }

    @Test
    void aNewVersionThatIsNotReadyIsUndoneAndStatusSaysUnhealthy() throws Exception {
        writeWeb("v1", "serve", "{ports.http}", "");
        Run first = deploy();
        assertEquals(0, first.exitCode(), first.output());
        assertEquals("v1", answer(port));

        writeWeb("v2", "serve", "{ports.wrong}", "");
        assertUndone(deploy(), "GET http://127.0.0.1:" + port + "/health failed: Connection refused", "v1");

        // Its timeout is long enough that what ends the wait is that it stops, however slowly it starts.
        writeWeb("v2", "die-after-2s", "{ports.http}", "", "60s");
        assertUndone(deploy(), "it stopped before it was ready", "v1");

        writeWeb("v2", "http-500", "{ports.http}", "");
        assertUndone(deploy(), "not ready within its ready-timeout of 3s: its health check http http://127.0.0.1:" + port
                + "/health last said: HTTP 500: sick v2", "v1");

        writeWeb("v2", "never-notify", "{ports.http}", "notify = true");
        assertUndone(deploy(), "start of beckon-default-web.service", "v1");

        writeWeb("v3", "notify", "{ports.http}", "notify = true");
        Run notified = deploy();
        assertEquals(0, notified.exitCode(), notified.output());
        assertEquals("v3", answer(port));

        Run healthy = beckon("status", "--home", home);
        assertEquals(0, healthy.exitCode(), healthy.output());
        Files.writeString(sick, "");
        Run unhealthy = beckon("status", "--home", home);
        assertEquals(1, unhealthy.exitCode(), unhealthy.output());
        assertTrue(unhealthy.out().contains(String.format("  %-20s %-10s %s%n", "web", "unhealthy", "beckon-default-web.service is active;"
                + " its health check http http://127.0.0.1:" + port + "/health failed 2 times in a row: HTTP 500: sick v3")),
                unhealthy.output());
        Run json = beckon("status", "--home", home, "--json");
        assertTrue(json.out().contains("\"state\" : \"unhealthy\""), json.output());
        Files.delete(sick);
        assertEquals(0, beckon("status", "--home", home).exitCode());
    }

    /**
     * An always-on service that declares ports and no other signal is ready once its process listens on them, not
     * after a moment: a version that binds another port is undone, with the port it does not listen on named.
     */
    @Test
    void anAlwaysOnServiceWithoutACheckIsReadyOnceItListensOnItsPorts() throws Exception {
        writeUnchecked("v1", port);
        Run first = deploy();
        assertEquals(0, first.exitCode(), first.output());
        assertEquals("v1", answer(port));

        writeUnchecked("v2", wrongPort);
        assertUndone(deploy(), "it runs, but does not listen on http (" + port + ") within its ready-timeout of 3s", "v1");
    }

    private void writeUnchecked(String version, int bindPort) throws IOException {
        Files.writeString(model.resolve("services.toml"), """
                [services.web]
                type = "systemd-unit"
                exec = ["/usr/bin/python3", "%s", "%d", "%s", "serve", "%s"]
                ports = { http = %d }
                ready-timeout = "3s"
                """.formatted(script, bindPort, version, sick, port));
    }

    /** An on-demand service that says verify = "start" is started once by the deployment: a broken version fails it. */
    @Test
    void verifyStartCatchesABrokenOnDemandVersionAtDeployTime() throws Exception {
        Files.writeString(model.resolve("distribution.toml"), "lazy = [\"local\"]\n");
        writeLazy("v1", "fd");
        Run first = deploy();
        assertEquals(0, first.exitCode(), first.output());
        assertEquals("v1", answer(onDemandPort));

        writeLazy("v2", "die-after-2s");
        Run broken = deploy();
        assertEquals(1, broken.exitCode(), broken.output());
        assertTrue(broken.out().contains("Deployment failed and was undone"), broken.output());
        assertTrue(broken.output().contains("verify = \"start\""), broken.output());
        assertEquals("v1", answer(onDemandPort), "the old version serves again");
    }

    private void writeLazy(String version, String mode) throws IOException {
        Files.writeString(model.resolve("services.toml"), """
                [services.lazy]
                type = "systemd-unit"
                exec = ["/usr/bin/python3", "%s", "0", "%s", "%s", "%s"]
                ports = { http = %d }
                ready-timeout = "5s"
                [services.lazy.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                idle-timeout = "30s"
                verify = "start"
                """.formatted(script, version, mode, sick, onDemandPort));
    }
}
