package dev.beckon.examples.mixed;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Counts its visitors: answers every client with {@code visit N to NAME} and closes the connection.
 *
 * <p>The count lives in memory, so the service is meant to run always: it binds {@code --listen
 * HOST:PORT} itself (the idle-monitor's standalone mode, which never ends by itself). Given a socket
 * by a service manager instead, it would serve that one and end when idle, starting from 1 again.
 */
public final class VisitCounter {
    private VisitCounter() {}

    public static void main(String[] args) throws IOException {
        String name = "the counter";
        InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8082);
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--name" -> name = args[i + 1];
                case "--listen" -> listen = address(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; known: --name, --listen HOST:PORT");
            }
        }
        IdleMonitor monitor = IdleMonitor.builder().standaloneListener("visits", listen).start();
        long visits = 0;
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            try (SocketChannel client = next.get()) {
                visits++;
                client.write(ByteBuffer.wrap(("visit " + visits + " to " + name + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException clientGone) {
                // One client hanging up early is no reason to stop counting the others.
            } finally {
                monitor.end();
            }
        }
    }

    private static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("--listen must be HOST:PORT, not " + text);
        }
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }
}
