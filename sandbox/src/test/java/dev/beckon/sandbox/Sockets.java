package dev.beckon.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Small socket helpers for the harness tests. */
final class Sockets {
    private Sockets() {}

    /** A port free on 127.0.0.1 right now. */
    static int freePort() throws IOException {
        return FreePorts.onLoopback();
    }

    /** Like {@link #readAll}, but first waits up to 10 s for the port to accept, as after a reload. */
    static String readAllWhenListening(int port) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                return readAll(port);
            } catch (java.net.ConnectException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Processes.sleep(java.time.Duration.ofMillis(20));
            }
        }
    }

    /** Connects, reads until the server closes, returns what it sent. */
    static String readAll(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
