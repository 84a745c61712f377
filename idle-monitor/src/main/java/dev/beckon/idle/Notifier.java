package dev.beckon.idle;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends sd_notify states on a thread of its own, so that neither loading the native binding nor a
 * slow manager ever holds up a thread that serves or accepts. Exists only when {@code NOTIFY_SOCKET}
 * is set; {@link #NONE} stands for it otherwise.
 */
final class Notifier {
    static final Notifier NONE = new Notifier();

    private final NotifyDatagram.SocketName socket;
    private final ScheduledThreadPoolExecutor sender;
    private volatile boolean warned;

    private Notifier() {
        this.socket = null;
        this.sender = null;
    }

    private Notifier(NotifyDatagram.SocketName socket) {
        this.socket = socket;
        this.sender = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "beckon-idle-sd-notify");
            thread.setDaemon(true);
            return thread;
        });
        // Loading jnr takes a while; start now, in parallel with the service's own start-up.
        sender.execute(this::load);
    }

    /**
     * A notifier for {@code NOTIFY_SOCKET}, or {@link #NONE} when it is unset or empty.
     *
     * @throws IllegalStateException when it is set to something that is not a Unix socket address
     */
    static Notifier forSocket(String notifySocket) {
        if (notifySocket == null || notifySocket.isEmpty()) {
            return NONE;
        }
        return new Notifier(SdNotify.socketName(notifySocket));
    }

    boolean isActive() {
        return sender != null;
    }

    /** Queues a state; a failure to send is logged, once, and never thrown at the caller. */
    void send(String state) {
        if (sender != null) {
            sender.execute(() -> sendNow(state));
        }
    }

    /** Sends {@code WATCHDOG=1} every {@code interval} from now on. */
    void pingEvery(Duration interval) {
        if (sender != null) {
            sender.scheduleAtFixedRate(() -> sendNow(SdNotify.WATCHDOG), 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Waits until what was queued so far is sent, up to {@code limit}; returns whether it was. */
    boolean flush(Duration limit) {
        if (sender == null) {
            return true;
        }
        Future<?> marker = sender.submit(() -> { });
        try {
            marker.get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void load() {
        try {
            NotifyDatagram.load();
        } catch (IOException | RuntimeException | LinkageError e) {
            warned = true;
            Log.warning("cannot load the native binding that talks to NOTIFY_SOCKET=" + socket
                    + "; systemd will hear nothing from this process", e);
        }
    }

    private void sendNow(String state) {
        try {
            NotifyDatagram.send(socket, state);
        } catch (IOException | RuntimeException | LinkageError e) {
            if (!warned) {
                warned = true;
                Log.warning("cannot notify the service manager at NOTIFY_SOCKET=" + socket + " (" + state.replace('\n', ' ')
                        + "): " + e + "; later failures are not logged");
            }
        }
    }
}
