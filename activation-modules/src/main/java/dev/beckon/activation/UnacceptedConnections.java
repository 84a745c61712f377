package dev.beckon.activation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Connections the kernel has queued on a listening TCP port and no process has accepted: in {@code /proc/net/tcp}
 * and {@code tcp6}, an established socket on the listening port (or one its client closed since) that no file
 * descriptor holds yet (inode 0).
 * Looking does not connect, so it never starts an on-demand service. Tells a hung service (its process runs, its
 * clients wait) from a busy one: {@link #stillWaiting} follows the connections queued at its start, whatever
 * arrives later, and is done as soon as each of them was accepted or went.
 */
public final class UnacceptedConnections {
    private static final String ESTABLISHED = "01";
    /** Queued, and closed by its client since: still in the queue until a process accepts it. */
    private static final String CLOSE_WAIT = "08";
    private static final Duration POLL = Duration.ofMillis(100);

    private UnacceptedConnections() {}

    /** The connections queued unaccepted on these local ports now, each as its {@code /proc} key (local and remote address). */
    public static Set<String> on(Set<Integer> ports) throws IOException {
        Set<String> queued = new HashSet<>();
        for (Path table : List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"))) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (NoSuchFileException noIpv6) {
                continue;
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 10 || !(fields[3].equals(ESTABLISHED) || fields[3].equals(CLOSE_WAIT)) || !fields[9].equals("0")) {
                    continue;
                }
                String local = fields[1];
                int port = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
                if (ports.contains(port)) {
                    queued.add(local + " " + fields[2]);
                }
            }
        }
        return queued;
    }

    /**
     * Of the connections queued on the ports now, those still queued unaccepted after {@code within} (they have
     * waited at least that long); empty as soon as none is left, which is at once when none waits.
     */
    public static Set<String> stillWaiting(Set<Integer> ports, Duration within) throws IOException, InterruptedException {
        Set<String> waiting = on(ports);
        long deadline = System.nanoTime() + within.toNanos();
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            waiting.retainAll(on(ports));
        }
        return waiting;
    }
}
