package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** notify, ready-timeout, the health table and verify as the model reads them; their mistakes are in broken-models/bad-readiness. */
class ReadinessModelTest {
    @TempDir
    Path dir;

    private SystemModel load(String services) throws Exception {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), """
                [targets.a]
                host = "localhost"
                hostname = "10.0.0.7"
                [targets.a.containers.systemd-unit]
                """);
        Files.writeString(dir.resolve("distribution.toml"), "web = [\"a\"]\nlazy = [\"a\"]\n");
        return ModelLoader.load(dir);
    }

    @Test
    void readsTheReadinessOfEachServiceAndResolvesItsProbePerTarget() throws Exception {
        SystemModel model = load("""
                [services.web]
                type = "systemd-unit"
                exec = ["/bin/web"]
                ports = { http = 8080 }
                notify = true
                ready-timeout = "1m"
                [services.web.health]
                http = "http://{target.hostname}:{ports.http}/health"
                timeout = "1s"
                interval = "250ms"
                retries = 5

                [services.lazy]
                type = "systemd-unit"
                exec = ["/bin/lazy"]
                [services.lazy.health]
                exec = ["/bin/check", "{target.name}"]
                [services.lazy.on-demand]
                listen = [9000]
                verify = "start"
                """);
        Readiness web = model.services().get("web").readiness();
        assertTrue(web.notifies());
        assertEquals(Duration.ofMinutes(1), web.timeout());
        assertFalse(web.verifyStart());
        HealthCheck check = web.health().orElseThrow();
        assertEquals(HealthCheck.Kind.HTTP, check.kind());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofMillis(250), Duration.ofMillis(5)),
                List.of(check.timeout(), check.interval(), Duration.ofMillis(check.retries())));
        InstanceSpec instance = model.instances().stream().filter(i -> i.service().name().equals("web")).findFirst().orElseThrow();
        assertEquals("http://10.0.0.7:8080/health", instance.render(check.probe().get(0), ""));

        Readiness lazy = model.services().get("lazy").readiness();
        assertFalse(lazy.notifies());
        assertTrue(lazy.verifyStart());
        assertEquals(Readiness.DEFAULT_TIMEOUT, lazy.timeout());
        HealthCheck exec = lazy.health().orElseThrow();
        assertEquals(HealthCheck.Kind.EXEC, exec.kind());
        assertEquals(List.of(HealthCheck.DEFAULT_TIMEOUT, HealthCheck.DEFAULT_INTERVAL), List.of(exec.timeout(), exec.interval()));
        assertEquals(HealthCheck.DEFAULT_RETRIES, exec.retries());
    }

    @Test
    void aServiceThatSaysNothingHasNoReadiness() throws Exception {
        SystemModel model = load("""
                [services.web]
                type = "systemd-unit"
                exec = ["/bin/web"]
                [services.lazy]
                type = "systemd-unit"
                exec = ["/bin/lazy"]
                """);
        assertEquals(Readiness.NONE, model.services().get("web").readiness());
    }
}
