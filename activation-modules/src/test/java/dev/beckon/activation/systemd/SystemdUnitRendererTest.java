package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.SocketPassing;
import dev.beckon.models.StartLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The unit files of on-demand instances: how the socket is passed, the start limits, the failure guard. */
class SystemdUnitRendererTest {
    private static final ListenAddress PORT = new ListenAddress.Inet(Optional.of("127.0.0.1"), 18080);

    @Test
    void listenFdsPassesTheSocketFromFdThreeAndStdinOnStandardInput() {
        String fds = service(instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(5), derived(Duration.ofSeconds(5))));
        String stdin = service(instance(SocketPassing.STDIN, Duration.ofSeconds(5), derived(Duration.ofSeconds(5))));
        assertFalse(fds.contains("StandardInput="), fds);
        assertTrue(stdin.contains("StandardInput=socket\n"), stdin);
        assertTrue(socket(instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(5), derived(Duration.ofSeconds(5))))
                .contains("FileDescriptorName=http\n"), "LISTEN_FDNAMES carries the port's name");
    }

    @Test
    void theModelsStartLimitGoesToServiceAndSocket() {
        ServiceInstance limited = instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(5), new StartLimit(7, Duration.ofMinutes(2)));
        assertTrue(service(limited).contains("StartLimitIntervalSec=120s\nStartLimitBurst=7\n"), service(limited));
        assertTrue(socket(limited).contains("TriggerLimitIntervalSec=120s\nTriggerLimitBurst=7\n"), socket(limited));
    }

    @Test
    void aDerivedLimitLetsAServerExitAfterEveryConnectionAtFourHundredStartsASecond() {
        assertEquals(new StartLimit(4_000, Duration.ofSeconds(10)), derived(Duration.ofSeconds(2)));
        assertEquals(new StartLimit(4_000, Duration.ofSeconds(10)), derived(Duration.ZERO));
        assertEquals(new StartLimit(20_020, Duration.ofSeconds(10)), derived(Duration.ofMillis(1)), "a tiny idle time needs more");
    }

    @Test
    void changingOnlyTheIdleTimeoutLeavesTheSocketUnitAsItWas() {
        ServiceInstance five = instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(5), derived(Duration.ofSeconds(5)));
        ServiceInstance thirty = instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(30), derived(Duration.ofSeconds(30)));
        assertEquals(socket(five), socket(thirty), "the idle time is the service's setting");
        assertNotEquals(service(five), service(thirty));
    }

    @Test
    void theServiceStopsItsSocketsAfterFiveFailedRunsInARow() {
        String unit = service(instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(5), derived(Duration.ofSeconds(5))));
        assertTrue(unit.contains("ExecStopPost=/bin/sh -c '"), unit);
        assertTrue(unit.contains("-ge " + SystemdUnitRenderer.FAILURES_BEFORE_STOP + " ]"), unit);
        assertTrue(unit.contains("exec systemctl --user --no-block stop \"$$@\"; fi' beckon-failure-guard"
                + " %t/beckon-test-hello.service.failures beckon-test-hello.socket\n"), unit);
    }

    @Test
    void anAlwaysOnServiceWithHeldSocketsHasTheOnDemandSocketUnitAndIsStartedAtBoot() {
        ServiceInstance onDemand = instance(SocketPassing.STDIN, Duration.ofSeconds(5), derived(Duration.ofSeconds(5)));
        ServiceInstance alwaysOn = withActivation(onDemand,
                new ServiceInstance.Activation(List.of(PORT), Duration.ZERO, false, SocketPassing.STDIN, derived(Duration.ZERO), true));
        assertEquals(socket(onDemand), socket(alwaysOn), "switching between them must not restart the socket");
        String unit = service(alwaysOn);
        assertTrue(unit.contains("Wants=beckon-test-hello.socket\nAfter=beckon-test-hello.socket\n"), unit);
        assertTrue(unit.contains("StandardInput=socket\n"), "the same contract as on demand: " + unit);
        assertTrue(unit.contains("Restart=on-failure\n") && unit.contains("WantedBy=default.target\n"), unit);
        assertFalse(unit.contains("BECKON_IDLE_TIMEOUT") || unit.contains("beckon-failure-guard"), unit);
        assertFalse(service(onDemand).contains("Wants="), service(onDemand));
    }

    @Test
    void theStopTimeoutLetsTheMainProcessDrainBeforeItsChildrenAreKilled() {
        ServiceInstance recordedBefore = instance(SocketPassing.LISTEN_FDS, Duration.ofSeconds(5), derived(Duration.ofSeconds(5)));
        ServiceInstance withTimeout = withStopTimeout(recordedBefore, Duration.ofSeconds(30));
        String unit = service(withTimeout);
        assertTrue(unit.contains("TimeoutStopSec=30s\nKillMode=mixed\n"), unit);
        assertTrue(service(withStopTimeout(recordedBefore, Duration.ofMillis(1500))).contains("TimeoutStopSec=1500ms\n"));
        assertFalse(service(recordedBefore).contains("TimeoutStopSec=") || service(recordedBefore).contains("KillMode="),
                "an instance recorded before stop-timeout renders as it was deployed");
    }

    private static ServiceInstance withActivation(ServiceInstance i, ServiceInstance.Activation activation) {
        return i.withOnDemand(Optional.of(activation));
    }

    private static ServiceInstance withStopTimeout(ServiceInstance i, Duration timeout) {
        return i.withStopTimeout(Optional.of(timeout));
    }

    private static StartLimit derived(Duration idle) {
        return StartLimit.of(idle, OptionalInt.empty(), Optional.empty());
    }

    private static ServiceInstance instance(SocketPassing pass, Duration idle, StartLimit limit) {
        return new ServiceInstance("test", "hello", "local", SystemdUnitModule.TYPE, "", List.of("/bin/hello"), new TreeMap<>(),
                new TreeMap<>(Map.of("http", 18080)),
                Optional.of(new ServiceInstance.Activation(List.of(PORT), idle, false, pass, limit)), Optional.empty(),
                Path.of("/state/instances/hello"), new TreeMap<>(Map.of("scope", "user")), Path.of("/state"));
    }

    private static String service(ServiceInstance instance) {
        return file(instance, "beckon-test-hello.service");
    }

    private static String socket(ServiceInstance instance) {
        return file(instance, "beckon-test-hello.socket");
    }

    private static String file(ServiceInstance instance, String name) {
        Rendering rendering = SystemdUnitRenderer.render(instance);
        return rendering.file(name).orElseThrow().content();
    }
}
