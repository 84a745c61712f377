package dev.beckon.activation.inetd;

import dev.beckon.models.ListenAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine's listening TCP sockets, read from {@code /proc/net/tcp} and {@code /proc/net/tcp6}:
 * looking does not connect, so it never starts an on-demand server.
 */
public final class TcpListeners {
    private static final String LISTEN_STATE = "0A";
    private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[([0-9]+)\\]");

    private TcpListeners() {}

    /**
     * One listening socket.
     *
     * @param inode the socket's inode, as {@code socket:[INODE]} in {@code /proc/PID/fd} of every process holding it
     * @param backlog connections the kernel has accepted and no process has taken yet
     */
    public record Listener(InetAddress address, int port, long inode, int backlog) {
        boolean isAnyAddress() {
            return address.isAnyLocalAddress();
        }

        @Override
        public String toString() {
            return (address.getAddress().length == 16 ? "[" + address.getHostAddress() + "]" : address.getHostAddress()) + ":" + port;
        }
    }

    /** Every listening TCP socket, IPv4 and IPv6. */
    static List<Listener> read() throws IOException {
        List<Listener> listeners = new ArrayList<>();
        read(Path.of("/proc/net/tcp"), listeners);
        read(Path.of("/proc/net/tcp6"), listeners);
        return listeners;
    }

    /** The listening sockets on this address: same port, and the same host (any address when the model names none). */
    public static List<Listener> on(ListenAddress.Inet wanted) throws IOException {
        List<InetAddress> hosts = wanted.host().map(TcpListeners::resolve).orElse(List.of());
        return read().stream()
                .filter(l -> l.port() == wanted.port())
                .filter(l -> wanted.host().isEmpty() ? l.isAnyAddress() : hosts.contains(l.address()))
                .toList();
    }

    /** The listening sockets on this port, on any of the machine's addresses. */
    public static List<Listener> onPort(int port) throws IOException {
        return read().stream().filter(l -> l.port() == port).toList();
    }

    /** Those of the listeners that one of the processes holds, by socket inode. */
    public static List<Listener> heldBy(List<Listener> listeners, Set<Long> socketInodes) {
        return listeners.stream().filter(l -> socketInodes.contains(l.inode())).toList();
    }

    private static List<InetAddress> resolve(String host) {
        try {
            // An address literal is parsed, not looked up; a name is resolved as the daemon resolves it.
            return Arrays.asList(InetAddress.getAllByName(host));
        } catch (UnknownHostException e) {
            return List.of();
        }
    }

    private static void read(Path table, List<Listener> into) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (NoSuchFileException noIpv6) {
            return;
        }
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 10 || !fields[3].equals(LISTEN_STATE)) {
                continue;
            }
            String[] local = fields[1].split(":");
            String[] queues = fields[4].split(":");
            into.add(new Listener(address(local[0]), Integer.parseInt(local[1], 16), Long.parseLong(fields[9]),
                    Integer.parseInt(queues[1], 16)));
        }
    }

    /**
     * The kernel prints each 32-bit word of the address as a number in the machine's own byte order;
     * writing the numbers back in that order gives the address bytes in network order.
     */
    private static InetAddress address(String hex) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(hex.length() / 2).order(ByteOrder.nativeOrder());
        for (int word = 0; word < hex.length(); word += 8) {
            bytes.putInt((int) Long.parseLong(hex.substring(word, word + 8), 16));
        }
        return InetAddress.getByAddress(bytes.array());
    }

    /** The inodes of the sockets a process holds open, from the {@code socket:[INODE]} links of its fds; none when it is gone. */
    public static Set<Long> socketInodes(long pid) {
        Set<Long> inodes = new TreeSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher socket = SOCKET_LINK.matcher(Files.readSymbolicLink(fd).toString());
                    if (socket.matches()) {
                        inodes.add(Long.parseLong(socket.group(1)));
                    }
                } catch (IOException closedMeanwhile) {
                    // The fd went away while we listed them: it holds nothing now.
                }
            }
        } catch (IOException gone) {
            // The process is gone: it holds nothing.
        }
        return inodes;
    }
}
