package dev.beckon.reliability;

import dev.beckon.idle.IdleMonitor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A service whose clients hold their connection open before they ask: {@code VERSION} greets each
 * client with {@code VERSION ready}, reads one line and answers {@code VERSION answers LINE}. It takes
 * its connections through the idle-monitor library, so SIGTERM stops it accepting and lets every
 * connection it took finish (the drain) before it exits; what arrives meanwhile waits in the backlog of
 * the socket the service manager holds.
 */
public final class DrainingRequestServer {
    /** Longer than any test waits to ask; below the model's stop-timeout. */
    static final Duration DRAIN = Duration.ofSeconds(60);

    private DrainingRequestServer() {}

    public static void main(String[] args) throws IOException {
        String version = args[0];
        IdleMonitor monitor = IdleMonitor.builder().drainTimeout(DRAIN).start();
        monitor.ready();
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            SocketChannel client = next.get();
            Thread serving = new Thread(() -> {
                try (client) {
                    serve(client, version);
                } catch (IOException clientWentAway) {
                    // One client's trouble is not the server's.
                } finally {
                    monitor.end();
                }
            }, "client");
            serving.start();
        }
    }

    private static void serve(SocketChannel client, String version) throws IOException {
        OutputStream out = Channels.newOutputStream(client);
        out.write((version + " ready\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
        String question = in.readLine();
        if (question != null) {
            out.write((version + " answers " + question + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }
}
