package dev.beckon.activation.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A service for the modules' tests, started for real by systemd, inetd or xinetd. It greets each
 * client with one line, {@code GREETING pid=PID}, and closes the connection.
 *
 * <ul>
 *   <li>A listening socket on standard input (systemd {@code StandardInput=socket}, inetd/xinetd
 *       {@code wait}): accepts until nothing connects for {@code BECKON_IDLE_TIMEOUT} (milliseconds
 *       here, or with an {@code ms}/{@code s} suffix), then exits 0.
 *   <li>A connected socket on standard input (systemd {@code Accept=yes}, inetd {@code nowait}):
 *       greets that one client and exits 0.
 *   <li>Anything else: exits 3, so a wrong activation shows as a failure.
 * </ul>
 * The greeting is the first argument, else {@code $GREETING}, else {@code hello}. With
 * {@code --fail}, it exits 1 at once, for tests of failed activations.
 */
public final class GreetingServer {
    private GreetingServer() {}

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("--fail")) {
            System.err.println("greeting-server: failing on purpose, as the test asked");
            System.exit(1);
        }
        String greeting = args.length > 0 ? args[0] : System.getenv().getOrDefault("GREETING", "hello");
        byte[] line = (greeting + " pid=" + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
        Channel inherited = System.inheritedChannel();
        if (inherited instanceof SocketChannel connection) {
            greet(connection, line);
            System.exit(0);
        }
        if (!(inherited instanceof ServerSocketChannel listening)) {
            System.err.println("greeting-server: no socket on standard input (got " + inherited + ")");
            System.exit(3);
            return;
        }
        long idleMillis = idleMillis(System.getenv().getOrDefault("BECKON_IDLE_TIMEOUT", "0"));
        listening.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            listening.register(selector, SelectionKey.OP_ACCEPT);
            while (true) {
                int ready = idleMillis > 0 ? selector.select(idleMillis) : selector.select();
                if (ready == 0) {
                    // Idle: exit without accepting; later clients wait in the backlog of the socket the manager holds.
                    System.exit(0);
                }
                selector.selectedKeys().clear();
                SocketChannel client;
                while ((client = listening.accept()) != null) {
                    client.configureBlocking(true);
                    greet(client, line);
                }
            }
        }
    }

    private static void greet(SocketChannel client, byte[] line) throws IOException {
        try (client) {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                client.write(buffer);
            }
        }
    }

    /**
     * beckon passes the model's duration as it writes durations ("500ms", "30s", "5min", "1h"), or plain
     * milliseconds. Parsed here, because this program runs with nothing but its own classes.
     */
    private static long idleMillis(String text) {
        for (String[] unit : new String[][] {{"ms", "1"}, {"min", "60000"}, {"s", "1000"}, {"m", "60000"}, {"h", "3600000"}}) {
            if (text.endsWith(unit[0])) {
                return Long.parseLong(text.substring(0, text.length() - unit[0].length())) * Long.parseLong(unit[1]);
            }
        }
        return Long.parseLong(text);
    }
}
