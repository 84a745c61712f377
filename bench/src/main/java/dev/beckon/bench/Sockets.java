package dev.beckon.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The client side of the benchmarks: free ports, and the greeting the example servers send. */
final class Sockets {
    private Sockets() {}

    /**
     * Where the benchmarks' services listen: below the kernel's ephemeral ports (32768 and up here), where
     * the client side of every connection on the machine would otherwise take one of them in the minutes
     * between choosing it and binding it (seen: a socket failing with "resources" mid-run), and clear of
     * the examples' 18080-18099 and beckon's automatic 20000-29999.
     */
    private static final int FIRST_PORT = 13_000;
    private static final int LAST_PORT = 17_999;

    /** {@code count} distinct ports of the benchmarks' range that are free on 127.0.0.1 now. */
    static List<Integer> freePorts(int count) throws IOException {
        Set<Integer> ports = new LinkedHashSet<>();
        for (int port = FIRST_PORT; port <= LAST_PORT && ports.size() < count; port++) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", port));
                ports.add(port);
            } catch (IOException taken) {
                // In use by something else: the next one.
            }
        }
        if (ports.size() < count) {
            throw new IOException("fewer than " + count + " free ports in " + FIRST_PORT + "-" + LAST_PORT);
        }
        return List.copyOf(ports);
    }

    /**
     * Connects and reads the greeting line; returns the milliseconds from just before the connect to the
     * first byte, the latency a client feels.
     */
    static double timeToFirstByte(int port, int timeoutMillis) throws IOException {
        long began = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            InputStream in = socket.getInputStream();
            int first = in.read();
            double millis = (System.nanoTime() - began) / 1e6;
            if (first < 0) {
                throw new IOException("127.0.0.1:" + port + " closed the connection without a byte");
            }
            in.readAllBytes();
            return millis;
        }
    }

    /** The greeting line, without its newline. */
    static String greeting(int port, int timeoutMillis) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }
}
