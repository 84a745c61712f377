package dev.beckon.models;

import java.util.Arrays;
import java.util.Optional;

/**
 * How an on-demand service receives the sockets its manager holds ({@code pass} in the on-demand
 * table).
 */
public enum SocketPassing {
    /**
     * The listeners from fd 3 on, with {@code LISTEN_FDS}, {@code LISTEN_PID} and {@code LISTEN_FDNAMES}
     * (the listeners' names), exactly as sd_listen_fds(3) documents: what C daemons, go-systemd's
     * {@code activation}, Rust's {@code listenfd} and Python's {@code systemd.daemon} expect.
     */
    LISTEN_FDS("listen-fds"),
    /** The one listener on fd 0, inetd style, for programs that call {@code System.inheritedChannel()}. */
    STDIN("stdin");

    /** What a model says when it does not say: the standard contract. */
    public static final SocketPassing DEFAULT = LISTEN_FDS;

    private final String modelName;

    SocketPassing(String modelName) {
        this.modelName = modelName;
    }

    /** The value as models write it. */
    public String modelName() {
        return modelName;
    }

    /** The passing a model's value names; empty for any other text. */
    public static Optional<SocketPassing> named(String text) {
        return Arrays.stream(values()).filter(p -> p.modelName.equals(text)).findFirst();
    }

    @Override
    public String toString() {
        return modelName;
    }
}
