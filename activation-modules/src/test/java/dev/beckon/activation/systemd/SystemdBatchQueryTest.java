package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code queryAll}, which asks systemd about many instances in one batch, tells each instance's state as the
 * question about that instance alone does: listening, stopped by hand, edited and put back on disk without a
 * reload, running, never deployed, one process per connection.
 */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdBatchQueryTest {
    private static final Duration IDLE = Duration.ofSeconds(30);

    @TempDir
    Path state;

    private SystemdFixture fixture;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        fixture = new SystemdFixture(systemd, state);
    }

    @Test
    void aBatchTellsEachInstanceWhatItsOwnQueryTells(SystemdUserManager systemd) throws Exception {
        ServiceInstance listening = fixture.greeter("listening", TestServices.freePort(), "listening", IDLE);
        ServiceInstance stopped = fixture.greeter("stopped", TestServices.freePort(), "stopped", IDLE);
        ServiceInstance touched = fixture.greeter("touched", TestServices.freePort(), "touched", IDLE);
        ServiceInstance running = fixture.daemon("running", List.of("/bin/sleep", "3600"));
        ServiceInstance absent = fixture.greeter("absent", TestServices.freePort(), "absent", IDLE);
        int perConnectionPort = TestServices.freePort();
        ServiceInstance perConnection = fixture.instance("perconnection", List.of("/bin/cat"), Map.of("http", perConnectionPort),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), perConnectionPort)),
                        IDLE, true)));
        List<ServiceInstance> all = List.of(listening, stopped, touched, running, absent, perConnection);
        try (SystemdSession session = fixture.open()) {
            for (ServiceInstance instance : List.of(listening, stopped, touched, running, perConnection)) {
                session.activate(instance);
            }
            assertTrue(systemd.systemctl("stop", "beckon-test-stopped.socket").succeeded());
            Path unit = fixture.unitDirectory().resolve("beckon-test-touched.service");
            Files.setLastModifiedTime(unit, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
            assertEquals("yes", fixture.show("beckon-test-touched.service", "NeedDaemonReload"), "the witness sees the change");

            Map<String, InstanceStatus> batch = session.queryAll(all);

            assertEquals(all.stream().map(ServiceInstance::id).toList(), List.copyOf(batch.keySet()), "one status each, in order");
            for (ServiceInstance instance : all) {
                assertEquals(session.query(instance), batch.get(instance.id()), instance.id());
            }
            assertTrue(batch.get(listening.id()).isHealthy(), batch.get(listening.id()).toString());
            assertEquals(InstanceStatus.Activity.INACTIVE, batch.get(stopped.id()).activity());
            assertEquals("beckon-test-stopped.socket is inactive", batch.get(stopped.id()).detail());
            assertEquals(List.of("beckon-test-touched.service changed on disk since systemd last loaded it"),
                    batch.get(touched.id()).drift());
            assertEquals(InstanceStatus.Activity.RUNNING, batch.get(running.id()).activity());
            assertEquals(InstanceStatus.Presence.MISSING, batch.get(absent.id()).presence());
            assertEquals(InstanceStatus.Activity.LISTENING, batch.get(perConnection.id()).activity());
            assertEquals(Map.of(), session.queryAll(List.of()));

            for (ServiceInstance instance : all) {
                session.deactivate(instance);
            }
            session.flush();
        }
    }
}
