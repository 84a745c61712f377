package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hung on-demand service against the real systemd: its process runs, the connection that started it stays queued on
 * its socket. query calls it stuck after the container's stuck-after, not running; an activation that restarts it into
 * the same hang fails; a busy service that accepts is running.
 */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdStuckTest {
    @TempDir
    Path state;

    @Test
    void aProcessThatLeavesItsConnectionsQueuedIsStuckAndAnActivationThatLeavesItSoFails(SystemdUserManager systemd) throws Exception {
        SystemdFixture fixture = new SystemdFixture(systemd, state);
        TreeMap<String, String> settings = new TreeMap<>(fixture.container().settings());
        settings.put("stuck-after", "1s");
        int port = TestServices.freePort();
        ServiceInstance.Activation onDemand = new ServiceInstance.Activation(
                List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), port)), Duration.ofMinutes(10), false);
        // sleep takes the socket and never accepts from it.
        ServiceInstance hung = fixture.instance("hung", List.of("/bin/sleep", "1000"), Map.of("http", port), Optional.of(onDemand));
        ServiceInstance stillHung = fixture.instance("hung", List.of("/bin/sleep", "2000"), Map.of("http", port), Optional.of(onDemand));
        try (SystemdSession session = (SystemdSession) new SystemdUnitModule().open(
                new TargetContainer("local", SystemdUnitModule.TYPE, settings, state));
                Socket client = new Socket()) {
            session.activate(hung);
            assertEquals(InstanceStatus.Activity.LISTENING, session.query(hung).activity(), "no client yet: nothing runs");

            client.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            for (int i = 0; i < 600 && !fixture.show("beckon-test-hung.service", "ActiveState").equals("active"); i++) {
                Thread.sleep(50);
            }
            InstanceStatus stuck = session.query(hung);
            assertEquals(InstanceStatus.Activity.STUCK, stuck.activity(), stuck.toString());
            assertTrue(stuck.detail().equals("1 connection(s) stayed queued on 127.0.0.1:" + port
                    + " unaccepted for 1s while beckon-test-hung.service runs: it hangs"), stuck.detail());
            assertTrue(!stuck.isHealthy());

            ActivationException failed = assertThrows(ActivationException.class, () -> session.activate(stillHung));
            assertTrue(failed.getMessage().startsWith("hung@local: stuck: 1 connection(s) stayed queued on 127.0.0.1:" + port),
                    failed.getMessage());
            session.deactivate(stillHung);
            session.flush();
        }
    }
}
