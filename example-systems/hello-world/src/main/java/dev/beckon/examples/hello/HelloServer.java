package dev.beckon.examples.hello;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The hello-world service: greets every client with one line and closes the connection.
 *
 * <p>Started by a service manager that holds the listening socket, it serves that socket (handed to
 * it on standard input); started by hand, it binds {@code --port} itself.
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
        Channel inherited = System.inheritedChannel();
        ServerSocketChannel server;
        if (inherited instanceof ServerSocketChannel listening) {
            server = listening;
        } else {
            server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", port));
            System.err.println("hello: no socket inherited, listening on 127.0.0.1:" + port);
        }
        ByteBuffer line = ByteBuffer.wrap((greeting + "\n").getBytes(StandardCharsets.UTF_8));
        while (true) {
            try (SocketChannel client = server.accept()) {
                client.write(line.duplicate());
            }
        }
    }
}
