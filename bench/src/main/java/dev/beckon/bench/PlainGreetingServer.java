package dev.beckon.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The hello-world server written without beckon's idle-monitor: the listening socket systemd passes
 * on standard input, taken with plain {@link System#inheritedChannel()}, the greeting written to each
 * client. It never ends by itself; the benchmark stops it between activations.
 *
 * <p>Usage: {@code PlainGreetingServer GREETING}
 */
public final class PlainGreetingServer {
    private PlainGreetingServer() {}

    public static void main(String[] args) throws IOException {
        Channel inherited = System.inheritedChannel();
        if (!(inherited instanceof ServerSocketChannel listener)) {
            throw new IllegalStateException("start me through a systemd socket with StandardInput=socket; got " + inherited);
        }
        byte[] line = ((args.length > 0 ? args[0] : "hello") + "\n").getBytes(StandardCharsets.UTF_8);
        while (true) {
            try (SocketChannel client = listener.accept()) {
                client.write(ByteBuffer.wrap(line));
            }
        }
    }
}
