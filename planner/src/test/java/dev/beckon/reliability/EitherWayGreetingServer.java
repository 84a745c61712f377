package dev.beckon.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A service that runs on demand or always on with the same command line, {@code PORT GREETING}: it
 * serves the listening socket systemd hands it on standard input or, started without one (always on),
 * binds 127.0.0.1:PORT itself. It greets each client with {@code GREETING pid=PID} and closes the
 * connection, and never exits by itself, so a change always meets a running process. Stopped (SIGTERM),
 * it closes its listener and answers the client it has accepted before it exits, as the idle-monitor
 * library's drain does; what waits in the backlog of systemd's socket is the next process's.
 * ({@code GreetingServer} of the modules' tests only takes a socket it is given.)
 */
public final class EitherWayGreetingServer {
    private EitherWayGreetingServer() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        byte[] line = (args[1] + " pid=" + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
        ServerSocketChannel listening;
        if (System.inheritedChannel() instanceof ServerSocketChannel inherited) {
            listening = inherited;
        } else {
            listening = ServerSocketChannel.open();
            listening.bind(new InetSocketAddress("127.0.0.1", port), 128);
        }
        Thread serving = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                listening.close();
                serving.join(5_000);
            } catch (IOException | InterruptedException e) {
                // Exiting anyway.
            }
        }));
        while (true) {
            SocketChannel client;
            try {
                client = listening.accept();
            } catch (ClosedChannelException stopping) {
                return;
            }
            try (client) {
                ByteBuffer buffer = ByteBuffer.wrap(line);
                while (buffer.hasRemaining()) {
                    client.write(buffer);
                }
            } catch (IOException clientWentAway) {
                // One client's trouble is not the server's.
            }
        }
    }
}
