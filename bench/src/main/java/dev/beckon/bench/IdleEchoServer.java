package dev.beckon.bench;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The idle-monitor README's echo server, as it stands there (a thread per connection from a cached
 * pool, a 4 KiB buffer each, {@code end()} when a client leaves), for the slowloris benchmark: socket
 * activated by the sandbox's systemd, its idle timeout and connection bound from the environment
 * ({@code BECKON_IDLE_TIMEOUT}, {@code BECKON_MAX_CONNECTIONS}), as beckon hands them over.
 */
public final class IdleEchoServer {
    private IdleEchoServer() {}

    public static void main(String[] args) throws IOException {
        IdleMonitor monitor = IdleMonitor.start();
        ExecutorService workers = Executors.newCachedThreadPool();
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            SocketChannel client = next.get();
            workers.execute(() -> {
                try (client) {
                    ByteBuffer buffer = ByteBuffer.allocate(4096);
                    while (client.read(buffer) >= 0) {
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            client.write(buffer);
                        }
                        buffer.clear();
                    }
                } catch (IOException e) {
                    // A client that resets is no news here.
                } finally {
                    monitor.end();
                }
            });
        }
    }
}
