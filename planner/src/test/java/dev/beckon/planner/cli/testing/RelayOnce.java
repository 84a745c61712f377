package dev.beckon.planner.cli.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A service for the SSH tests, activated per connection (systemd {@code Accept=yes}): it connects to
 * {@code HOST PORT}, which may be a socket-activated service on another target, and hands the client
 * what that service said, prefixed with {@code relayed by PID: }.
 */
public final class RelayOnce {
    private RelayOnce() {}

    public static void main(String[] args) throws IOException {
        Channel inherited = System.inheritedChannel();
        if (!(inherited instanceof SocketChannel client)) {
            System.err.println("relay: no connection on standard input (got " + inherited + ")");
            System.exit(3);
            return;
        }
        String answer;
        try (Socket upstream = new Socket()) {
            upstream.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 10_000);
            upstream.setSoTimeout(30_000);
            answer = new String(upstream.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        client.write(ByteBuffer.wrap(("relayed by " + ProcessHandle.current().pid() + ": " + answer).getBytes(StandardCharsets.UTF_8)));
        client.close();
    }
}
