package dev.beckon.bench;

import dev.beckon.idle.IdleMonitor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@link PlainGreetingServer} written with beckon's idle-monitor instead of {@link System#inheritedChannel()}, and
 * nothing else changed: the same greeting, from the same kind of jar. The difference between the two first
 * connections is what the library costs before the first connection; hello-world adds its own arguments and knobs.
 *
 * <p>Usage: {@code MonitoredGreetingServer GREETING}
 */
public final class MonitoredGreetingServer {
    private MonitoredGreetingServer() {}

    public static void main(String[] args) throws IOException {
        IdleMonitor monitor = IdleMonitor.start();
        byte[] line = ((args.length > 0 ? args[0] : "hello") + "\n").getBytes(StandardCharsets.UTF_8);
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            try (SocketChannel client = next.get()) {
                client.write(ByteBuffer.wrap(line));
            } finally {
                monitor.end();
            }
        }
    }
}
