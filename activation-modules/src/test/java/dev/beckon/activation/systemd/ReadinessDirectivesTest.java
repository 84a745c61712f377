package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.InstanceReadiness;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.HealthCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A service that notifies is Type=notify with its ready timeout as start timeout; a health check alone changes no unit file. */
class ReadinessDirectivesTest {
    private static ServiceInstance instance(InstanceReadiness readiness) {
        return new ServiceInstance("test", "web", "local", "systemd-unit", "", List.of("/bin/web"), new TreeMap<>(), new TreeMap<>(),
                Optional.empty(), Optional.empty(), Path.of("/tmp/instance"), new TreeMap<>(), Path.of("/tmp/state")).withReadiness(readiness);
    }

    private static String service(ServiceInstance instance) {
        return SystemdUnitRenderer.render(instance).file("beckon-test-web.service").orElseThrow().content();
    }

    @Test
    void notifyWaitsForReadyNoLongerThanTheReadyTimeout() {
        String notifies = service(instance(new InstanceReadiness(true, Duration.ofMillis(1500), Optional.empty(), false)));
        assertTrue(notifies.contains("\nType=notify\nTimeoutStartSec=2s\nExecStart=\"/bin/web\"\n"), notifies);
    }

    @Test
    void withoutNotifyTheUnitIsWhatItWasBeforeReadinessExisted() {
        String before = service(instance(InstanceReadiness.NONE));
        assertTrue(before.contains("\nType=exec\nExecStart="), before);
        InstanceReadiness checked = new InstanceReadiness(false, Duration.ofSeconds(5), Optional.of(new InstanceReadiness.Health(
                HealthCheck.Kind.TCP, List.of("127.0.0.1:80"), Duration.ofSeconds(1), Duration.ofSeconds(1), 3)), false);
        assertEquals(before, service(instance(checked)));
    }
}
