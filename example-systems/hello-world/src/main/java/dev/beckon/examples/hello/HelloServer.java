package dev.beckon.examples.hello;

import dev.beckon.idle.IdleMonitor;
import dev.beckon.idle.Knobs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The hello-world service: greets every client with one line and closes the connection.
 *
 * <p>Started by a service manager that holds the listening socket, it serves that socket and ends
 * itself when idle for {@code BECKON_IDLE_TIMEOUT}; started by hand, it listens on {@code --port}
 * itself and never ends by itself. Both through beckon's idle-monitor library.
 *
 * <p>Its knob {@code greeting-case} ({@code beckon knob set hello greeting-case=upper}) changes how the next client is
 * greeted, while it runs: it is read for every connection, one load from the region beckon made for it.
 */
public final class HelloServer {
    private HelloServer() {}

    public static void main(String[] args) throws IOException {
        String greeting = System.getenv().getOrDefault("GREETING", "hello");
        int port = 8080;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--greeting" -> greeting = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; known: --greeting, --port");
            }
        }
        IdleMonitor monitor = IdleMonitor.builder()
                .standaloneListener("greeting", new InetSocketAddress("127.0.0.1", port))
                .start();
        byte[] line = (greeting + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] upper = (greeting.toUpperCase(Locale.ROOT) + "\n").getBytes(StandardCharsets.UTF_8);
        // Started by hand or deployed without the knob, it greets as written.
        Knobs.EnumKnob greetingCase = monitor.knobs().has("greeting-case") ? monitor.knobs().enumKnob("greeting-case") : null;
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            try (SocketChannel client = next.get()) {
                // No lambda here: the first one costs a JVM milliseconds, and the first client would wait for them.
                boolean shout = greetingCase != null && greetingCase.get().equals("upper");
                client.write(ByteBuffer.wrap(shout ? upper : line));
            } finally {
                monitor.end();
            }
        }
    }
}
