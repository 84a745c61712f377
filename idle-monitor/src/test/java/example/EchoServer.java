package example;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Echoes every byte back. Started on demand by systemd, inetd or xinetd; ends when idle. */
public final class EchoServer {
    public static void main(String[] args) throws IOException {
        IdleMonitor monitor = IdleMonitor.builder()
                .standaloneListener("echo", new InetSocketAddress("127.0.0.1", 7000)) // only when nothing was inherited
                .idleTimeout(Duration.ofSeconds(30))                                  // BECKON_IDLE_TIMEOUT wins
                .start();
        ExecutorService workers = Executors.newCachedThreadPool();
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) { // empty once the process is ending
            SocketChannel client = next.get();           // counts as active until end()
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
                    System.getLogger("echo").log(System.Logger.Level.WARNING, "a client failed", e);
                } finally {
                    monitor.end();
                }
            });
        }
    }
}
