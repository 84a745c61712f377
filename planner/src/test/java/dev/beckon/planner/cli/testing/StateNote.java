package dev.beckon.planner.cli.testing;

import dev.beckon.idle.WarmState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A service for the SSH tests, activated per connection (systemd {@code Accept=yes}), that keeps one short note in
 * the warm state beckon gives it ({@code BECKON_STATE}): the client sends {@code PUT TEXT}, which is committed and
 * answered {@code OK}, or {@code GET}, answered with the note. Unit 0 holds the note's length, then its bytes.
 * {@link #ask} is its client.
 */
public final class StateNote {
    private StateNote() {}

    public static void main(String[] args) throws IOException {
        Channel inherited = System.inheritedChannel();
        if (!(inherited instanceof SocketChannel client)) {
            System.err.println("state-note: no connection on standard input (got " + inherited + ")");
            System.exit(3);
            return;
        }
        WarmState state = WarmState.fromEnvironment().orElseThrow(() -> new IllegalStateException(
                "state-note: no warm state; beckon gives one in " + WarmState.PATH_VARIABLE));
        try (client) {
            String line = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8)).readLine();
            String answer;
            if (line != null && line.startsWith("PUT ")) {
                byte[] note = line.substring("PUT ".length()).getBytes(StandardCharsets.UTF_8);
                state.update(0, unit -> unit.putInt(0, note.length).put(4, note));
                answer = "OK";
            } else if ("GET".equals(line)) {
                ByteBuffer unit = state.read(0);
                byte[] note = new byte[unit.getInt(0)];
                unit.get(4, note);
                answer = new String(note, StandardCharsets.UTF_8);
            } else {
                answer = "ERR say PUT TEXT or GET";
            }
            client.write(ByteBuffer.wrap((answer + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Sends {@code line} to the StateNote listening at {@code address:port} and returns its answer. */
    public static String ask(String address, int port, String line) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 5_000);
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }
}
