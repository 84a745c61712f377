package dev.beckon.idle.bench;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * The echo server the benchmarks compare, in three builds that serve identically (one thread per
 * connection, every read echoed back):
 * <ul>
 *   <li>{@code plain PORT}: binds the port itself, no library: the throughput baseline;
 *   <li>{@code inherited}: only {@code System.inheritedChannel()}, exiting after 200 ms without a
 *       connection: the cold-activation baseline;
 *   <li>{@code monitored}: the idle monitor, each read counted as a request with begin/end.
 * </ul>
 */
public final class BenchEchoServer {
    private static final long INHERITED_IDLE_MILLIS = 200;

    private BenchEchoServer() {}

    public static void main(String[] args) throws IOException {
        switch (args[0]) {
            case "plain" -> {
                ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])));
                while (true) {
                    SocketChannel client = listener.accept();
                    new Thread(() -> echo(client, null)).start();
                }
            }
            case "inherited" -> inherited();
            case "monitored" -> {
                IdleMonitor monitor = IdleMonitor.start();
                Optional<SocketChannel> next;
                while ((next = monitor.accept()).isPresent()) {
                    SocketChannel client = next.get();
                    new Thread(() -> {
                        try {
                            echo(client, monitor);
                        } finally {
                            monitor.end();
                        }
                    }).start();
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void inherited() throws IOException {
        ServerSocketChannel listener = (ServerSocketChannel) System.inheritedChannel();
        listener.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            listener.register(selector, SelectionKey.OP_ACCEPT);
            while (selector.select(INHERITED_IDLE_MILLIS) > 0 || hasActiveClients()) {
                selector.selectedKeys().clear();
                SocketChannel client;
                while ((client = listener.accept()) != null) {
                    SocketChannel accepted = client;
                    ACTIVE.incrementAndGet();
                    new Thread(() -> {
                        try {
                            echo(accepted, null);
                        } finally {
                            ACTIVE.decrementAndGet();
                        }
                    }).start();
                }
            }
        }
        System.exit(0);
    }

    private static final java.util.concurrent.atomic.AtomicInteger ACTIVE = new java.util.concurrent.atomic.AtomicInteger();

    private static boolean hasActiveClients() {
        return ACTIVE.get() > 0;
    }

    private static void echo(SocketChannel client, IdleMonitor monitor) {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        try (client) {
            while (client.read(buffer) >= 0) {
                buffer.flip();
                if (monitor == null) {
                    writeAll(client, buffer);
                } else {
                    try (IdleMonitor.Activity request = monitor.begin()) {
                        writeAll(client, buffer);
                    }
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // A client that goes away mid-benchmark is no news.
        }
    }

    private static void writeAll(SocketChannel client, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            client.write(buffer);
        }
    }
}
