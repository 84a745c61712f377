package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ServiceInstance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** xinetd service files: pure, no daemon. */
class XinetdFileTest {
    private static final String USER = System.getProperty("user.name");

    @Test
    void rendersAnUnlistedServiceWhoseServerIsTheLauncher() {
        ServiceInstance hello = InetdConfTest.instance("127.0.0.1", 18080, Duration.ofSeconds(30), false);
        assertEquals(List.of("beckon-default-hello", "launcher"), XinetdFile.render(hello).files().stream().map(f -> f.name()).toList());
        assertEquals("""
                # Written by beckon for hello@local (profile default). beckon deploy rewrites it: change the model instead.
                service beckon-default-hello
                {
                    type        = UNLISTED
                    port        = 18080
                    bind        = 127.0.0.1
                    socket_type = stream
                    protocol    = tcp
                    wait        = yes
                    user        = %s
                    server      = /var/lib/beckon/store/0123-hello/launcher
                }
                """.formatted(USER), XinetdFile.render(hello).file("beckon-default-hello").orElseThrow().content());
    }

    @Test
    void theFileNameIsOneXinetdReads() {
        // includedir skips names with a dot or ending in ~.
        String name = XinetdFile.render(InetdConfTest.instance("127.0.0.1", 1, Duration.ZERO, false)).files().get(0).name();
        assertFalse(name.contains(".") || name.endsWith("~"), name);
    }

    @Test
    void addressesBecomeBindAndFlags() {
        String any = file(InetdConfTest.instance(null, 1, Duration.ZERO, true));
        assertTrue(any.contains("    flags       = IPv6\n") && !any.contains("bind"), any);
        assertTrue(any.contains("    wait        = no\n"), any);
        String v6 = file(InetdConfTest.instance("::1", 1, Duration.ZERO, false));
        assertTrue(v6.contains("    bind        = ::1\n    flags       = IPv6\n"), v6);
    }

    @Test
    void refusesWhatXinetdCannotTakeAsOneWord() {
        ServiceInstance base = InetdConfTest.instance("127.0.0.1", 1, Duration.ZERO, false);
        for (String directory : List.of("/var/lib/a b/store/x", "/var/lib/a{b/store/x", "/var/lib/a}b/store/x", "/var/lib/a#b/store/x",
                "/var/lib/a\nserver = /bin/sh\n/x")) {
            ServiceInstance bad = new ServiceInstance(base.profile(), base.service(), base.target(), base.type(), base.description(),
                    base.exec(), base.environment(), base.ports(), base.onDemand(), Optional.empty(), Path.of(directory), base.container(),
                    base.stateDirectory());
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> XinetdFile.render(bad));
            assertTrue(refused.getMessage().contains("xinetd needs it as one word"), refused.getMessage());
        }
    }

    @Test
    void readsTheServerBackFromAFile() {
        assertEquals(Optional.of("/s/launcher"), XinetdFile.server("service x\n{\n\tserver\t=  /s/launcher \n}\n"));
        assertEquals(Optional.empty(), XinetdFile.server("service x\n{\n    server_args = a\n}\n"));
    }

    private static String file(ServiceInstance instance) {
        return XinetdFile.render(instance).files().get(0).content();
    }
}
