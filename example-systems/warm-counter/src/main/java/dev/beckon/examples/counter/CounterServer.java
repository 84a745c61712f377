package dev.beckon.examples.counter;

import dev.beckon.idle.IdleMonitor;
import dev.beckon.idle.WarmState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The warm-counter service: a count kept in its warm state, so that it outlives idle exits and SIGKILLs.
 *
 * <p>The protocol, one line each way, is idempotent, so that a client whose connection died before the answer came
 * may send the same line again:
 * <ul>
 *   <li>{@code INC CLIENT SEQ} (CLIENT 0-255, SEQ from 1): counts one when SEQ is the one after the client's last,
 *       and answers {@code OK SEQ COUNT} once that is committed; SEQ already counted: the same answer, counting
 *       nothing; a SEQ further on: {@code ERR ...}.</li>
 *   <li>{@code GET}: {@code COUNT COUNT}.</li>
 * </ul>
 * Unit 0 of the state holds the count (at byte 0) and each client's last SEQ (at 8 + 8 × CLIENT), so one transaction
 * changes both: the count and the record of what was counted cannot disagree after a kill.
 */
public final class CounterServer {
    private static final int CLIENTS = 256;

    private CounterServer() {}

    public static void main(String[] args) throws IOException {
        int port = 8090;
        Optional<Path> statePath = Optional.empty();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--state" -> statePath = Optional.of(Path.of(args[i + 1]));
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; known: --port, --state");
            }
        }
        IdleMonitor monitor = IdleMonitor.builder()
                .standaloneListener("counter", new InetSocketAddress("127.0.0.1", port))
                .start();
        Optional<WarmState> given = monitor.state();
        WarmState state = given.isPresent() ? given.get() : WarmState.open(statePath.orElseThrow(() -> new IllegalArgumentException(
                "no warm state: beckon gives one in " + WarmState.PATH_VARIABLE + "; by hand, pass --state FILE")));
        Optional<SocketChannel> next;
        while ((next = monitor.accept()).isPresent()) {
            SocketChannel client = next.get();
            Thread serving = new Thread(() -> serve(client, state, monitor), "counter-client");
            serving.start();
        }
    }

    private static void serve(SocketChannel client, WarmState state, IdleMonitor monitor) {
        try (client) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(client);
            for (String line; (line = in.readLine()) != null; ) {
                out.write((answer(line, state) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // The client went away; what it was answered is committed, what it was not may be sent again.
        } finally {
            monitor.end();
        }
    }

    static String answer(String line, WarmState state) {
        String[] words = line.strip().split(" ");
        if (words.length == 1 && words[0].equals("GET")) {
            return "COUNT " + state.read(0).getLong(0);
        }
        if (words.length != 3 || !words[0].equals("INC")) {
            return "ERR say INC CLIENT SEQ or GET";
        }
        int client;
        long sequence;
        try {
            client = Integer.parseInt(words[1]);
            sequence = Long.parseLong(words[2]);
        } catch (NumberFormatException e) {
            return "ERR CLIENT and SEQ are numbers";
        }
        if (client < 0 || client >= CLIENTS || sequence < 1) {
            return "ERR CLIENT is 0-255, SEQ from 1";
        }
        String[] answer = new String[1];
        state.update(0, unit -> {
            int last = 8 + 8 * client;
            long counted = unit.getLong(last);
            if (sequence == counted + 1) {
                unit.putLong(0, unit.getLong(0) + 1).putLong(last, sequence);
            } else if (sequence > counted + 1) {
                answer[0] = "ERR expected SEQ " + (counted + 1);
                return;
            }
            answer[0] = "OK " + sequence + " " + unit.getLong(0);
        });
        return answer[0];
    }
}
