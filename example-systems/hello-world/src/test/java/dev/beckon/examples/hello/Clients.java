package dev.beckon.examples.hello;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** What the example's tests do as a client of the greeting server. */
final class Clients {
    private Clients() {}

    /** The greeting on 127.0.0.1:{@code port}, read until the server closes the connection. */
    static String greeting(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            // Long enough for a socket-activated JVM's start on a loaded machine.
            socket.setSoTimeout(60_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int freePort() throws IOException {
        return dev.beckon.sandbox.FreePorts.onLoopback();
    }
}
