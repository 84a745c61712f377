package dev.beckon.idle;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where {@link IdleMonitor#accept} takes connections, so that deciding to exit can never race with
 * accepting: a connection is taken from the kernel and counted as an activity under one lock, and
 * the monitor pauses the gate under the same lock before it looks whether anything is active.
 * Whatever it then sees is complete: every connection this process took is counted, and every one
 * it did not take is still in the backlog of the socket the service manager holds, which starts a
 * new process for it.
 *
 * <p>With a {@link ConnectionBound}, a connection also takes a place under the same lock, and at the
 * bound the gate waits without accepting (nor selecting, which would return at once with the backlog
 * full): the kernel keeps further clients in the backlog until an end frees a place. The idle exit
 * needs nothing more: a process at its bound is busy, and one whose connections all ended looks at
 * the backlog while paused, as always.
 *
 * <p>The listeners are never closed here: the process ends instead, which leaves the service
 * manager's copy listening and, for the channel of {@code System.inheritedChannel()}, keeps the JDK
 * from pointing fds 0-2 at /dev/null.
 */
final class AcceptGate {
    private enum State { OPEN, PAUSED, CLOSED }

    private final Object lock = new Object();
    private final ActivityCounter counter;
    private final ConnectionBound bound;
    private State state = State.OPEN;
    /** Per set of listeners a caller waits on: one for all of them, one per single listener. */
    private final Map<List<ServerSocketChannel>, Waiter> waiters = new HashMap<>();
    /** Every listener a caller accepted from; the ones whose backlog {@link #backlogPending} looks at. */
    private final Set<ServerSocketChannel> managed = new LinkedHashSet<>();
    private Selector backlogProbe;

    /** @param maxConnections the most connections held at once; 0 for no bound */
    AcceptGate(ActivityCounter counter, int maxConnections) {
        this.counter = counter;
        this.bound = new ConnectionBound(maxConnections, lock);
    }

    ConnectionBound bound() {
        return bound;
    }

    /**
     * Takes the next connection from one of {@code listeners}, counting it as a begun activity
     * before anything else can look; waits while the gate is paused.
     *
     * @return the connection, in blocking mode; empty once the gate is closed
     * @throws InterruptedIOException when the calling thread is interrupted while it waits
     */
    Optional<SocketChannel> accept(List<ServerSocketChannel> listeners) throws IOException {
        Waiter waiter = waiterFor(listeners);
        while (true) {
            synchronized (lock) {
                while (true) {
                    if (state == State.CLOSED) {
                        return Optional.empty();
                    }
                    if (state == State.OPEN && bound.tryTake()) {
                        SocketChannel connection;
                        try {
                            connection = waiter.acceptNow();
                        } catch (IOException | RuntimeException e) {
                            bound.give();
                            throw e;
                        }
                        if (connection != null) {
                            counter.begin();
                            return Optional.of(connection);
                        }
                        bound.give();
                        if (!waiter.selecting) {
                            break;
                        }
                    }
                    // Paused, at the bound (an end frees a place and notifies), or another thread
                    // already waits on this selector: a selector woken for close() could otherwise
                    // leave a second thread blocked in it.
                    awaitChange();
                }
                waiter.openSelector();
                waiter.selecting = true;
            }
            try {
                if (Thread.interrupted()) {
                    // select() would return at once, again and again, while the flag is set.
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for a connection");
                }
                waiter.selector.select();
                waiter.selector.selectedKeys().clear();
            } catch (ClosedSelectorException closing) {
                // close() closed it to wake this thread; the loop sees CLOSED.
            } finally {
                synchronized (lock) {
                    waiter.selecting = false;
                    lock.notifyAll();
                }
            }
        }
    }

    /**
     * Takes a place for a connection a framework has already accepted, waiting while the bound is
     * full; once the gate is closed (the process ends and will serve what it counted) it takes one
     * at once. Waits through interrupts, and sets the thread's flag again when it was interrupted.
     */
    void awaitPlace() {
        if (bound.tryTake()) {
            return;
        }
        boolean interrupted = false;
        synchronized (lock) {
            while (!bound.tryTake()) {
                if (state == State.CLOSED) {
                    bound.takeAnyway();
                    break;
                }
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitChange() throws InterruptedIOException {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a connection");
        }
    }

    private Waiter waiterFor(List<ServerSocketChannel> listeners) throws IOException {
        synchronized (lock) {
            Waiter waiter = waiters.get(listeners);
            if (waiter == null) {
                if (state == State.CLOSED) {
                    return Waiter.CLOSED;
                }
                waiter = new Waiter(listeners);
                waiters.put(List.copyOf(listeners), waiter);
                managed.addAll(listeners);
            }
            return waiter;
        }
    }

    /** Stops handing out connections until {@link #resume} or {@link #close}; false when not open. */
    boolean pause() {
        synchronized (lock) {
            if (state != State.OPEN) {
                return false;
            }
            state = State.PAUSED;
            return true;
        }
    }

    void resume() {
        synchronized (lock) {
            if (state == State.PAUSED) {
                state = State.OPEN;
                lock.notifyAll();
            }
        }
    }

    /** Hands out no connection any more and wakes every waiting caller, who gets an empty answer. */
    void close() {
        List<Selector> selectors = new ArrayList<>();
        synchronized (lock) {
            state = State.CLOSED;
            lock.notifyAll();
            for (Waiter waiter : waiters.values()) {
                if (waiter.selector != null) {
                    selectors.add(waiter.selector);
                }
            }
            if (backlogProbe != null) {
                selectors.add(backlogProbe);
            }
        }
        for (Selector selector : selectors) {
            try {
                selector.close();
            } catch (IOException e) {
                // Only wakes waiters; the process is about to end anyway.
            }
        }
    }

    /**
     * Whether a connection waits in the backlog of a listener that callers accept from; only
     * meaningful while paused, when no caller can take it.
     */
    boolean backlogPending() throws IOException {
        synchronized (lock) {
            if (managed.isEmpty() || state == State.CLOSED) {
                return false;
            }
            if (backlogProbe == null) {
                backlogProbe = Selector.open();
            }
            for (ServerSocketChannel listener : managed) {
                if (listener.isOpen() && listener.keyFor(backlogProbe) == null) {
                    listener.register(backlogProbe, SelectionKey.OP_ACCEPT);
                }
            }
            int ready = backlogProbe.selectNow();
            backlogProbe.selectedKeys().clear();
            return ready > 0;
        }
    }

    /**
     * A selector over some listeners, and the order to try them in. The selector is opened only when a caller must
     * wait: an on-demand process is started for a connection that already waits in the backlog, and opening a selector
     * (epoll, an eventfd, their classes) before taking it would only delay its answer.
     */
    private static final class Waiter {
        static final Waiter CLOSED = new Waiter();

        /** Null until {@link #openSelector}; guarded by the gate's lock. */
        Selector selector;
        private final List<ServerSocketChannel> listeners;
        /** Whether a thread waits in {@link #selector}; guarded by the gate's lock. */
        boolean selecting;
        private int next;

        private Waiter() {
            this.selector = null;
            this.listeners = List.of();
        }

        Waiter(List<ServerSocketChannel> listeners) throws IOException {
            this.listeners = List.copyOf(listeners);
            for (ServerSocketChannel listener : this.listeners) {
                listener.configureBlocking(false);
            }
        }

        /** Opens the selector over the listeners, once; called under the gate's lock. */
        void openSelector() throws IOException {
            if (selector != null) {
                return;
            }
            Selector opened = Selector.open();
            for (ServerSocketChannel listener : listeners) {
                listener.register(opened, SelectionKey.OP_ACCEPT);
            }
            selector = opened;
        }

        /** Accepts without blocking, starting after the listener that gave the last one, so none starves. */
        SocketChannel acceptNow() throws IOException {
            for (int tried = 0; tried < listeners.size(); tried++) {
                ServerSocketChannel listener = listeners.get((next + tried) % listeners.size());
                SocketChannel connection = listener.accept();
                if (connection != null) {
                    next = (next + tried + 1) % listeners.size();
                    return connection;
                }
            }
            return null;
        }
    }
}
