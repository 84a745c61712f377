package dev.beckon.models;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How often the service manager may start an on-demand service: at most {@code burst} starts in any
 * {@code interval}; past that its socket fails ({@code start-limit-burst} and {@code
 * start-limit-interval} in the on-demand table). The limit is not what stops a service that fails at
 * once: one that exits after every connection is started as often as one that fails, so a limit low
 * enough to stop the one would fail the other. It is the backstop; consecutive failures are counted
 * apart (see the systemd module).
 */
public record StartLimit(int burst, Duration interval) {
    /** The range a model may give; systemd takes more, but no healthy service needs it. */
    public static final int MAX_BURST = 1_000_000;
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MAX_INTERVAL = Duration.ofHours(1);
    /** The window of a derived limit. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    /**
     * Starts per second that a server exiting after every connection may need: a sequential client
     * loop measured about 35 a second through the sandbox's systemd on a loaded 2-core machine;
     * with ten times that of room.
     */
    static final int EXIT_PER_CONNECTION_STARTS_PER_SECOND = 400;

    public StartLimit {
        if (burst < 1 || burst > MAX_BURST) {
            throw new IllegalArgumentException("start-limit-burst must be 1 to " + MAX_BURST + ", not " + burst);
        }
        if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException("start-limit-interval must be 1s to 1h, not " + Durations.format(interval));
        }
    }

    /**
     * The limit of a service: what the model set, the rest derived. Derived: a service that lives at
     * least its idle timeout needs at most {@code interval / idle} starts, twice that plus 20 of room;
     * but never fewer than a server that exits after every connection needs at
     * {@value #EXIT_PER_CONNECTION_STARTS_PER_SECOND} starts a second, since the idle time cannot tell
     * the two apart.
     */
    public static StartLimit of(Duration idleTimeout, OptionalInt burst, Optional<Duration> interval) {
        Duration window = interval.orElse(DEFAULT_INTERVAL);
        if (burst.isPresent()) {
            return new StartLimit(burst.getAsInt(), window);
        }
        long lifetimeMillis = Math.max(idleTimeout.isZero() ? 1_000 : idleTimeout.toMillis(), 1);
        long fromIdle = 2 * (window.toMillis() / lifetimeMillis) + 20;
        long floor = EXIT_PER_CONNECTION_STARTS_PER_SECOND * Math.max(1, window.toSeconds());
        return new StartLimit((int) Math.min(MAX_BURST, Math.max(fromIdle, floor)), window);
    }

    /** As manifests record it: {@code BURST/INTERVAL}. */
    @Override
    public String toString() {
        return burst + "/" + Durations.format(interval);
    }

    /** Reads {@link #toString()} back. */
    public static StartLimit parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("a start limit is BURST/INTERVAL, not \"" + Messages.printable(text) + "\"");
        }
        try {
            return new StartLimit(Integer.parseInt(text.substring(0, slash)), Durations.parse(text.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a start limit is BURST/INTERVAL, not \"" + Messages.printable(text) + "\"", e);
        }
    }
}
