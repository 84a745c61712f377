package dev.beckon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InetdDaemonTest {

    @Test
    void openbsdInetdServesItsOwnConfiguration(@TempDir Path directory) throws IOException {
        int port = Sockets.freePort();
        Path config = directory.resolve("inetd.conf");
        Files.writeString(config, "127.0.0.1:" + port + " stream tcp nowait root /bin/echo echo hello through inetd\n");
        long pid;
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(config, directory)) {
            pid = inetd.pid();
            assertEquals(pid + "\n", Files.readString(inetd.pidFile()));
            assertEquals("hello through inetd\n", Sockets.readAll(port));
        }
        assertFalse(Processes.isAlive(pid));
        assertThrows(ConnectException.class, () -> Sockets.readAll(port));
    }

    @Test
    void openbsdInetdReloadsOnHangup(@TempDir Path directory) throws IOException {
        int first = Sockets.freePort();
        int second = Sockets.freePort();
        Path config = directory.resolve("inetd.conf");
        Files.writeString(config, "127.0.0.1:" + first + " stream tcp nowait root /bin/echo echo first\n");
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(config, directory)) {
            assertEquals("first\n", Sockets.readAll(first));
            Files.writeString(config, "127.0.0.1:" + second + " stream tcp nowait root /bin/echo echo second\n");
            inetd.reload();
            assertEquals("second\n", Sockets.readAllWhenListening(second));
        }
    }

    @Test
    void xinetdServesItsOwnConfiguration(@TempDir Path directory) throws IOException {
        int port = Sockets.freePort();
        Path services = Files.createDirectories(directory.resolve("xinetd.d"));
        Files.writeString(services.resolve("hello"), """
                service hello
                {
                    type        = UNLISTED
                    port        = %d
                    bind        = 127.0.0.1
                    socket_type = stream
                    protocol    = tcp
                    wait        = no
                    user        = root
                    server      = /bin/echo
                    server_args = hello through xinetd
                }
                """.formatted(port));
        Path config = directory.resolve("xinetd.conf");
        Files.writeString(config, "defaults\n{\n}\nincludedir " + services + "\n");
        long pid;
        try (InetdDaemon xinetd = InetdDaemon.xinetd(config, directory)) {
            pid = xinetd.pid();
            assertEquals(String.valueOf(pid), Files.readString(xinetd.pidFile()).strip());
            assertEquals("hello through xinetd\n", Sockets.readAll(port));
        }
        assertFalse(Processes.isAlive(pid));
        assertThrows(ConnectException.class, () -> Sockets.readAll(port));
    }
}
