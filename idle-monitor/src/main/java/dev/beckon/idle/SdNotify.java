package dev.beckon.idle;

import java.io.IOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * systemd's service notification protocol ({@code sd_notify(3)}), for services that want to send
 * states themselves; {@link IdleMonitor} already sends {@code READY=1}, {@code STOPPING=1} and the
 * watchdog pings on its own.
 *
 * <p>As in go-systemd's {@code daemon} package, "not running under systemd" is a normal answer, not
 * an error: {@link #send} returns {@code false} and {@link #watchdogTimeout} returns empty.
 *
 * <p>The first {@link #send} with {@code NOTIFY_SOCKET} set loads a native binding (jnr-ffi, about
 * 0.4 s) on the calling thread; nothing native is loaded while it is unset.
 */
public final class SdNotify {
    /** Tells the service manager that start-up is finished. */
    public static final String READY = "READY=1";
    /** Tells the service manager that the service is beginning its shutdown. */
    public static final String STOPPING = "STOPPING=1";
    /** Tells the service manager's watchdog that the service is alive. */
    public static final String WATCHDOG = "WATCHDOG=1";

    private SdNotify() {}

    /**
     * Sends a state, such as {@link #READY} or {@code "STATUS=serving 3 clients"}, to the socket named
     * by {@code $NOTIFY_SOCKET} (an absolute path, or an abstract name written {@code @name}). Several
     * states go in one message, separated by newlines.
     *
     * @return {@code true} when the state was sent; {@code false} when {@code NOTIFY_SOCKET} is unset
     *     or empty (not under systemd, or the unit does not listen for notifications)
     * @throws IOException when {@code NOTIFY_SOCKET} is set but the datagram could not be sent (the
     *     socket is gone, or the manager does not accept notifications from this process)
     * @throws IllegalStateException when {@code NOTIFY_SOCKET} is neither an absolute path nor an
     *     {@code @} name, or is too long for a Unix socket address
     */
    public static boolean send(String state) throws IOException {
        return send(System.getenv(), state);
    }

    static boolean send(Map<String, String> environment, String state) throws IOException {
        String socket = environment.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return false;
        }
        NotifyDatagram.send(socketName(socket), state);
        return true;
    }

    static NotifyDatagram.SocketName socketName(String value) {
        try {
            return NotifyDatagram.SocketName.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("NOTIFY_SOCKET=" + DurationText.quote(value) + " " + e.getMessage(), e);
        }
    }

    /**
     * The watchdog timeout systemd set for this process ({@code WatchdogSec=} in the unit); the
     * service must send {@link #WATCHDOG} more often than that, conventionally at half of it.
     *
     * @return the timeout; empty when {@code WATCHDOG_USEC} is unset, or {@code WATCHDOG_PID} is set and
     *     names another process (the variables were inherited from a parent under systemd)
     * @throws IllegalStateException when {@code WATCHDOG_USEC} or {@code WATCHDOG_PID} is set but is not
     *     a positive number
     */
    public static Optional<Duration> watchdogTimeout() {
        return watchdogTimeout(System.getenv(), ProcessHandle.current().pid());
    }

    static Optional<Duration> watchdogTimeout(Map<String, String> environment, long ourPid) {
        String usec = environment.get("WATCHDOG_USEC");
        if (usec == null) {
            return Optional.empty();
        }
        long micros = positive("WATCHDOG_USEC", usec);
        String pid = environment.get("WATCHDOG_PID");
        if (pid != null && positive("WATCHDOG_PID", pid) != ourPid) {
            return Optional.empty();
        }
        return Optional.of(Duration.of(micros, ChronoUnit.MICROS));
    }

    private static long positive(String name, String value) {
        try {
            long number = Long.parseLong(value);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the same message as zero or a negative number.
        }
        throw new IllegalStateException(name + "=" + DurationText.quote(value) + " is not a positive number");
    }
}
