package dev.beckon.examples.proxy;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * A TCP proxy: every client connection is relayed to {@code --to HOST:PORT}, both ways, until either
 * side closes. Socket-activated and idle-terminating through beckon's idle-monitor; a connection
 * counts as activity for as long as it is relayed.
 */
public final class TcpProxy {
    private TcpProxy() {}

    public static void main(String[] args) throws IOException {
        InetSocketAddress upstream = null;
        int port = 8081;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--to" -> upstream = address(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; known: --to HOST:PORT, --port");
            }
        }
        if (upstream == null) {
            throw new IllegalArgumentException("--to HOST:PORT is required: where to relay connections");
        }
        IdleMonitor monitor = IdleMonitor.builder()
                .standaloneListener("proxy", new InetSocketAddress("127.0.0.1", port))
                .start();
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            relay(next.get(), upstream, monitor);
        }
    }

    private static void relay(SocketChannel client, InetSocketAddress upstream, IdleMonitor monitor) {
        Thread relay = new Thread(() -> {
            try (client; SocketChannel server = SocketChannel.open(upstream)) {
                Thread back = new Thread(() -> pump(server, client));
                back.start();
                pump(client, server);
                back.join();
            } catch (IOException e) {
                System.getLogger("tcp-proxy").log(System.Logger.Level.WARNING, "cannot relay to " + upstream + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                monitor.end();
            }
        }, "relay");
        relay.start();
    }

    /** Copies one direction until its source closes, then half-closes the destination. */
    private static void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
            to.shutdownOutput();
        } catch (IOException closed) {
            // The other side went away; the relay ends with it.
        }
    }

    private static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("--to must be HOST:PORT, not " + text);
        }
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }
}
