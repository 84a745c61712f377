package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.beckon.models.HealthCheck;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One attempt of each kind of health check against real listeners and programs. */
class HealthProbeTest {
    private static InstanceReadiness.Health check(HealthCheck.Kind kind, String... probe) {
        return new InstanceReadiness.Health(kind, List.of(probe), Duration.ofSeconds(5), Duration.ofMillis(100), 1);
    }

    @Test
    void tcpPassesWhenSomethingListensAndSaysWhyNotWhenNothingDoes() throws Exception {
        int closed;
        try (ServerSocket listening = new ServerSocket()) {
            listening.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = listening.getLocalPort();
            assertEquals(new HealthProbe.Result(true, "connected to 127.0.0.1:" + port), HealthProbe.run(check(HealthCheck.Kind.TCP, "127.0.0.1:" + port)));
            closed = port;
        }
        HealthProbe.Result refused = HealthProbe.run(check(HealthCheck.Kind.TCP, "127.0.0.1:" + closed));
        assertFalse(refused.passed());
        assertTrue(refused.output().startsWith("cannot connect to 127.0.0.1:" + closed + ": Connection refused"), refused.output());
        assertEquals(new HealthProbe.Result(false, "\"127.0.0.1\" must be HOST:PORT, like \"127.0.0.1:{ports.http}\""),
                HealthProbe.run(check(HealthCheck.Kind.TCP, "127.0.0.1")));
    }

    @Test
    void httpPassesOnlyA2xxAnswerAndKeepsTheStatusAndFirstLineOfTheBody() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            boolean ok = exchange.getRequestURI().getPath().equals("/ok");
            byte[] body = (ok ? "fine" : "database down\nsecond line").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertEquals(new HealthProbe.Result(true, "HTTP 200: fine"), HealthProbe.run(check(HealthCheck.Kind.HTTP, base + "/ok")));
            assertEquals(new HealthProbe.Result(false, "HTTP 503: database down"), HealthProbe.run(check(HealthCheck.Kind.HTTP, base + "/bad")));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void execPassesOnExitZeroAndKeepsItsLastLine() throws Exception {
        assertEquals(new HealthProbe.Result(true, "exit code 0: ok"),
                HealthProbe.run(check(HealthCheck.Kind.EXEC, "/bin/sh", "-c", "echo starting; echo ok")));
        assertEquals(new HealthProbe.Result(false, "exit code 2: queue is full"),
                HealthProbe.run(check(HealthCheck.Kind.EXEC, "/bin/sh", "-c", "echo queue is full >&2; exit 2")));
        InstanceReadiness.Health hanging = new InstanceReadiness.Health(HealthCheck.Kind.EXEC, List.of("/bin/sleep", "60"),
                Duration.ofMillis(200), Duration.ofMillis(100), 1);
        assertEquals(new HealthProbe.Result(false, "/bin/sleep did not finish within 200ms"), HealthProbe.run(hanging));
        HealthProbe.Result missing = HealthProbe.run(check(HealthCheck.Kind.EXEC, "/no/such/check"));
        assertFalse(missing.passed());
        assertTrue(missing.output().startsWith("cannot run /no/such/check: "), missing.output());
    }
}
