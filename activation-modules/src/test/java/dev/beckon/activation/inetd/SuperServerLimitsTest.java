package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.Limits;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real xinetd and openbsd-inetd start a server with the memory and open-files limits of the model. */
class SuperServerLimitsTest {
    private static final Limits RLIMITS = new Limits(OptionalLong.of(64L << 20), OptionalInt.empty(), OptionalInt.empty(),
            OptionalInt.of(64), OptionalInt.empty(), OptionalInt.empty());
    private static final int PATIENCE_MILLIS = 60_000;

    @TempDir
    Path directory;

    @Test
    void xinetdStartsTheServerWithItsRlimits() throws Exception {
        assertEquals("files 64 memory 65536", limitsSeen(SuperServerFixture.xinetd(Files.createDirectories(directory.resolve("xinetd")))));
    }

    @Test
    void inetdsLauncherStartsTheServerWithItsRlimits() throws Exception {
        assertEquals("files 64 memory 65536", limitsSeen(SuperServerFixture.inetd(Files.createDirectories(directory.resolve("inetd")))));
    }

    /** What a server started for one connection reports of its own rlimits. */
    private String limitsSeen(SuperServerFixture fixture) throws Exception {
        Path seen = directory.resolve("seen-" + fixture.container().type());
        try (fixture; ModuleSession session = fixture.open()) {
            int port = TestServices.freePort();
            ServiceInstance plain = fixture.instance("test", "limited", List.of("/bin/sh", "-c",
                    "echo files $(ulimit -n) memory $(ulimit -v) > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"", seen.toString()),
                    Map.of(), port, Duration.ZERO, true);
            ServiceInstance limited = plain.withLimits(RLIMITS);
            session.activate(limited);
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", port), PATIENCE_MILLIS);
                client.setSoTimeout(PATIENCE_MILLIS);
                // The server holds the connection until it exits: its end is the end of the stream.
                assertEquals(-1, client.getInputStream().read());
            }
            SuperServerFixture.await(() -> Files.exists(seen), Duration.ofMillis(PATIENCE_MILLIS));
            String report = Files.readString(seen).strip();
            session.deactivate(limited);
            return report;
        }
    }
}
