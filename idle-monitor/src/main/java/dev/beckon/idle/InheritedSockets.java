package dev.beckon.idle;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the service manager handed this process: systemd's {@code LISTEN_FDS} from fd 3, else the
 * socket on standard input (systemd {@code StandardInput=socket}, inetd and xinetd).
 *
 * <p>As in go-systemd, "not activated" is a normal answer: {@code LISTEN_PID} naming another process
 * (the variables were inherited from a parent), {@code LISTEN_FDS} unset or not a number, or nothing
 * usable on standard input all come back as {@link Found#nothing()}.
 */
final class InheritedSockets {
    static final int FIRST_LISTEN_FD = 3;

    private InheritedSockets() {}

    /** A listener and its name; {@code null} when the manager gave none. */
    record Named(String name, ServerSocketChannel channel) {}

    /** What was inherited, and where from. */
    record Found(IdleMonitor.Mode mode, List<Named> listeners, SocketChannel connection, String origin) {
        static Found nothing() {
            return new Found(IdleMonitor.Mode.STANDALONE, List.of(), null, "nothing inherited");
        }
    }

    /** The source of standard input's channel in tests; {@code null} stands for {@code System.inheritedChannel()}. */
    interface StandardInput {
        Channel channel() throws IOException;
    }

    /**
     * Looks at the environment, then at standard input.
     *
     * @throws IllegalStateException when systemd passed fds this JVM cannot turn into channels
     *     ({@link ListenFds} says how to allow it)
     * @throws IOException when the JDK fails to make a channel of an inherited socket
     */
    static Found find(Map<String, String> environment, long ourPid, StandardInput standardInput) throws IOException {
        int count = listenFdsFor(environment, ourPid);
        if (count > 0) {
            return fromListenFds(count, environment.get("LISTEN_FDNAMES"));
        }
        Channel channel = standardInput == null ? standardInputChannel() : standardInput.channel();
        if (channel instanceof ServerSocketChannel listener) {
            return new Found(IdleMonitor.Mode.STANDARD_INPUT_LISTENER, List.of(new Named(null, listener)), null,
                    "a listening socket on standard input");
        }
        if (channel instanceof SocketChannel connection) {
            return new Found(IdleMonitor.Mode.CONNECTION, List.of(), connection,
                    "a connection on standard input");
        }
        return Found.nothing();
    }

    /**
     * The channel on fd 0. When {@code sun.nio.ch} is open to this library a listener there is wrapped
     * the way fds 3 and up are, rather than taken from {@code System.inheritedChannel()}, whose
     * channel points fds 0-2 at /dev/null when closed (as Jetty and Netty do when they stop). A
     * connection is still taken from the JDK: for it, that is what ends the connection, since inetd
     * hands it over as fds 0, 1 and 2 alike.
     */
    private static Channel standardInputChannel() throws IOException {
        if (ListenFds.isAllowed() && ListenFds.open(0) instanceof ServerSocketChannel listener) {
            return listener;
        }
        return System.inheritedChannel();
    }

    /** How many fds systemd passed to this very process; 0 when none or not to us. */
    static int listenFdsFor(Map<String, String> environment, long ourPid) {
        String pid = environment.get("LISTEN_PID");
        String fds = environment.get("LISTEN_FDS");
        if (pid == null || fds == null) {
            return 0;
        }
        try {
            if (Long.parseLong(pid.trim()) != ourPid) {
                return 0;
            }
            return Math.max(0, Integer.parseInt(fds.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The names systemd gave the fds ({@code FileDescriptorName=}), one per fd; {@code null} where
     * {@code LISTEN_FDNAMES} is unset, shorter than the fds, or empty for that fd.
     */
    static List<String> names(String listenFdNames, int count) {
        String[] given = listenFdNames == null ? new String[0] : listenFdNames.split(":", -1);
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(i < given.length && !given[i].isEmpty() ? given[i] : null);
        }
        return names;
    }

    private static Found fromListenFds(int count, String listenFdNames) throws IOException {
        List<String> names = names(listenFdNames, count);
        List<Named> listeners = new ArrayList<>();
        SocketChannel connection = null;
        List<String> ignored = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int fd = FIRST_LISTEN_FD + i;
            Channel channel = ListenFds.open(fd);
            if (channel instanceof ServerSocketChannel listener) {
                listeners.add(new Named(names.get(i), listener));
            } else if (channel instanceof SocketChannel connected && connection == null) {
                connection = connected;
            } else {
                ignored.add("fd " + fd + (names.get(i) == null ? "" : " (" + names.get(i) + ")"));
            }
        }
        if (!ignored.isEmpty()) {
            Log.warning("ignoring " + String.join(", ", ignored) + " from LISTEN_FDS: not a TCP or Unix stream socket");
        }
        if (listeners.isEmpty() && connection != null) {
            return new Found(IdleMonitor.Mode.CONNECTION, List.of(), connection, "a connection from systemd (Accept=yes)");
        }
        return new Found(IdleMonitor.Mode.SYSTEMD_LISTENERS, List.copyOf(listeners), null,
                listeners.size() + " listening socket" + (listeners.size() == 1 ? "" : "s") + " from systemd (LISTEN_FDS)");
    }
}
