package dev.beckon.idle;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Lets a service be started on demand by its service manager (systemd, inetd, xinetd) and end
 * itself when nothing happened for a while.
 *
 * <p>{@link #start()} reads what the manager handed over: listening sockets from systemd
 * ({@code LISTEN_FDS}), a listening socket on standard input (systemd {@code StandardInput=socket},
 * inetd and xinetd {@code wait}), or one connection (inetd {@code nowait}, systemd {@code Accept=yes}).
 * When nothing was handed over it binds the addresses the {@link Builder} names and never ends by
 * itself, since nothing would start it again.
 *
 * <p>The service marks each connection or request as an {@link #begin() activity}. When none was
 * active for the idle timeout ({@code BECKON_IDLE_TIMEOUT}, else {@link Builder#idleTimeout}), the
 * monitor stops handing out connections, tells systemd {@code STOPPING=1}, waits for what is still
 * active, runs the application's {@link Builder#onShutdown shutdown action} if it has one, and ends
 * the process with exit code 0. Start-up counts as an activity until {@link #ready()}.
 * A connection that arrives meanwhile is either served by this process or left in the backlog of the
 * socket the manager still holds, which starts a new process for it; none is accepted and dropped,
 * provided the service takes its connections through {@link #accept()}, or counts the connections
 * its framework accepts through {@link #acceptsOnItsOwn the framework hook}. SIGTERM drains in-flight
 * activities, for at most {@link Builder#drainTimeout}, and exits 0.
 *
 * <p>With a {@link #maxConnections() connection bound} ({@code BECKON_MAX_CONNECTIONS}, else {@link
 * Builder#maxConnections}), the process holds at most that many connections: at the bound {@link
 * #accept()} waits and the kernel queues further clients, and {@link #admit()} does the same for a
 * framework's accepting thread. {@link Builder#connectionBuffers} preallocates a buffer per place.
 *
 * <pre>{@code
 * IdleMonitor monitor = IdleMonitor.builder()
 *         .standaloneListener("echo", new InetSocketAddress("127.0.0.1", 7000))
 *         .start();
 * Optional<SocketChannel> next;
 * while ((next = monitor.accept()).isPresent()) {
 *     SocketChannel client = next.get();
 *     pool.execute(() -> {
 *         try (client) {
 *             serve(client);
 *         } finally {
 *             monitor.end();
 *         }
 *     });
 * }
 * }</pre>
 *
 * <p>Starting a monitor starts at most two daemon threads, and only when they have work: one that
 * watches for idleness (when the process may end when idle) and one that talks to systemd (when
 * {@code NOTIFY_SOCKET} is set, which is also the only case that loads a native binding). Create one
 * monitor per process. It logs through {@code System.Logger} under the name {@code dev.beckon.idle}.
 */
public final class IdleMonitor {
    /** The environment variable holding the idle timeout, in beckon's model syntax ({@code 30s}, {@code 1h30m}, {@code 0}). */
    public static final String IDLE_TIMEOUT_VARIABLE = "BECKON_IDLE_TIMEOUT";
    /** The environment variable holding the connection bound ({@link Builder#maxConnections}): a count, or {@code 0} for none. */
    public static final String MAX_CONNECTIONS_VARIABLE = "BECKON_MAX_CONNECTIONS";

    private static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);

    /** What the service manager handed this process, which decides how it ends. */
    public enum Mode {
        /** Listening sockets from systemd as fds 3 and up ({@code LISTEN_FDS}); ends when idle. */
        SYSTEMD_LISTENERS,
        /** A listening socket on standard input (systemd {@code StandardInput=socket}, inetd and xinetd {@code wait}); ends when idle. */
        STANDARD_INPUT_LISTENER,
        /** One connection (inetd {@code nowait}, systemd {@code Accept=yes}); ends once it is served. */
        CONNECTION,
        /** Nothing: the monitor bound the builder's standalone addresses; never ends by itself. */
        STANDALONE
    }

    /**
     * One begun activity, its own handle: closing it ends that activity. Closing it again, from any
     * thread, does nothing, so a handle closed both by a {@code finally} and by a close callback
     * still counts once.
     */
    public interface Activity extends AutoCloseable {
        /** Ends the activity, the first time; later calls do nothing. */
        @Override
        void close();
    }

    private final Mode mode;
    private final String origin;
    private final List<InheritedSockets.Named> listeners;
    private final List<ServerSocketChannel> channels;
    private final Duration idleTimeout;
    private final Notifier notifier;
    private final ActivityCounter counter = new ActivityCounter();
    private final AcceptGate gate;
    /** The preallocated buffers, when the builder asked for them. */
    private final BufferPool buffers;
    private final ProcessEnding ending;
    private final AtomicReference<SocketChannel> connection;
    private final AtomicBoolean readySent = new AtomicBoolean();
    /** Whether start-up still counts as an activity; see {@link #ready()}. */
    private final AtomicBoolean startingUp = new AtomicBoolean();

    private IdleMonitor(Builder builder, InheritedSockets.Found found, List<InheritedSockets.Named> listeners,
            Duration idleTimeout, Notifier notifier, int maxConnections) {
        this.gate = new AcceptGate(counter, found.mode() == Mode.CONNECTION ? 0 : maxConnections);
        // One connection in CONNECTION mode, whatever the bound says.
        this.buffers = builder.bufferSize == 0 ? null
                : BufferPool.allocate(found.mode() == Mode.CONNECTION ? 1 : maxConnections, builder.bufferSize);
        this.mode = found.mode();
        this.origin = found.origin();
        this.listeners = List.copyOf(listeners);
        List<ServerSocketChannel> channels = new ArrayList<>(listeners.size());
        for (InheritedSockets.Named listener : listeners) {
            channels.add(listener.channel());
        }
        this.channels = List.copyOf(channels);
        this.idleTimeout = idleTimeout;
        this.notifier = notifier;
        this.ending = new ProcessEnding(gate, counter, notifier, builder.drainTimeout, builder.onShutdown,
                builder.exit, new Runnable() {
                    @Override
                    public void run() {
                        startedUp();
                    }
                });
        this.connection = new AtomicReference<>(found.connection());
        if (found.connection() != null) {
            // The connection counts from the start: the process ends when the service is done with it.
            counter.begin();
        } else if (mode == Mode.SYSTEMD_LISTENERS || mode == Mode.STANDARD_INPUT_LISTENER) {
            // Start-up counts too, until ready(): a process started for a connection must not end
            // for idleness while its server still starts, however long that takes on a busy machine.
            startingUp.set(true);
            counter.begin();
        }
    }

    /** Ends start-up's activity, once. */
    private void startedUp() {
        if (startingUp.get() && startingUp.compareAndSet(true, false)) {
            counter.end();
        }
    }

    /**
     * Starts a monitor configured by the environment alone, as {@code builder().start()} does: no
     * standalone address, no idle timeout unless {@code BECKON_IDLE_TIMEOUT} sets one.
     *
     * @return the running monitor; see {@link Builder#start()} for what it found and did
     * @throws IOException see {@link Builder#start()}
     * @throws IllegalStateException see {@link Builder#start()}
     */
    public static IdleMonitor start() throws IOException {
        return builder().start();
    }

    /** A builder for what the environment does not say. */
    public static Builder builder() {
        return new Builder();
    }

    /** The service's runtime knobs, from the region {@code BECKON_KNOBS} names (see {@link Knobs}). */
    public Knobs knobs() {
        return Knobs.fromEnvironment();
    }

    /** The warm state beckon gave this service ({@link WarmState#PATH_VARIABLE}); empty when it has none. */
    public Optional<WarmState> state() throws IOException {
        return WarmState.fromEnvironment();
    }

    /** What the service manager handed over, which decides whether and when the process ends. */
    public Mode mode() {
        return mode;
    }

    /**
     * How long the process stays without activity before it ends.
     *
     * @return the timeout; {@link Duration#ZERO} when it never ends by itself: the timeout is 0, or
     *     the monitor bound its own sockets ({@link Mode#STANDALONE}); also zero for
     *     {@link Mode#CONNECTION}, which ends as soon as its connection is served
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * Every listening socket, in the order the manager passed them (fd order) or the builder named
     * them. They are standard {@code ServerSocketChannel}s: plain NIO, Jetty's
     * {@code ServerConnector.open(channel)} and Netty's {@code new NioServerSocketChannel(channel)}
     * take them. Do not close them: the process ends instead, and the manager keeps its own copy.
     *
     * @return the listeners; empty for {@link Mode#CONNECTION}, and in {@link Mode#STANDALONE} when
     *     the builder named no address
     */
    public List<ServerSocketChannel> listeners() {
        return channels;
    }

    /**
     * The listener with that name: systemd's {@code FileDescriptorName=} (from {@code LISTEN_FDNAMES}),
     * or the name given to {@link Builder#standaloneListener}. A listener whose manager gives no names
     * (a socket on standard input, as from inetd, xinetd and systemd's {@code StandardInput=socket})
     * answers to every name when it is the only one, so a service asking for its one listener by name
     * runs unchanged under every manager.
     *
     * @return the first listener so named; empty when none is
     */
    public Optional<ServerSocketChannel> listener(String name) {
        Objects.requireNonNull(name, "name");
        for (InheritedSockets.Named listener : listeners) {
            if (name.equals(listener.name())) {
                return Optional.of(listener.channel());
            }
        }
        if (listeners.size() == 1 && listeners.get(0).name() == null) {
            return Optional.of(listeners.get(0).channel());
        }
        return Optional.empty();
    }

    /**
     * Waits for the next connection on any listener and counts it as a begun activity: call
     * {@link #end()} when done with it. Taking connections here, rather than from the listeners
     * directly, is what makes the idle exit lose none (see the class comment). The first call also
     * tells systemd {@code READY=1} (see {@link #ready()}).
     *
     * <p>The listeners are switched to non-blocking mode and registered with selectors of the
     * monitor's own; the connections come back in blocking mode.
     *
     * @return the connection; in {@link Mode#CONNECTION}, the inherited connection the first time
     *     (later calls wait); empty once the process is ending (idle, SIGTERM or {@link #shutdown()}),
     *     which ends the caller's accept loop
     * @throws IllegalStateException when there is no listener at all (nothing was inherited and the
     *     builder named no standalone address)
     * @throws java.io.InterruptedIOException when the calling thread is interrupted while waiting
     * @throws IOException when accepting fails (too many open files, or the application closed a listener)
     */
    public Optional<SocketChannel> accept() throws IOException {
        ready();
        if (mode == Mode.CONNECTION) {
            SocketChannel inherited = connection.getAndSet(null);
            // Later calls wait for the end, as in the other modes, so the application's main thread
            // does not return (and the JVM exit) before the shutdown has run.
            return inherited != null ? Optional.of(inherited) : gate.accept(List.of());
        }
        if (channels.isEmpty()) {
            throw new IllegalStateException("there is no listener to accept from: nothing was inherited ("
                    + origin + ") and the builder named no standalone address");
        }
        return gate.accept(channels);
    }

    /**
     * Like {@link #accept()}, from one listener only, for services that treat their listeners
     * differently (one accepting thread per listener).
     *
     * @return the connection, counted as a begun activity; empty once the process is ending
     * @throws IllegalArgumentException when {@code listener} is not one of {@link #listeners()}
     * @throws java.io.InterruptedIOException when the calling thread is interrupted while waiting
     * @throws IOException when accepting fails
     */
    public Optional<SocketChannel> accept(ServerSocketChannel listener) throws IOException {
        if (!channels.contains(listener)) {
            throw new IllegalArgumentException("not one of this monitor's listeners: " + listener);
        }
        ready();
        return gate.accept(List.of(listener));
    }

    /**
     * Marks the start of an activity (a connection, a request): while any is active the process does
     * not end for idleness. Close the handle it returns when the activity is over; closing it more
     * than once is harmless:
     *
     * <pre>{@code
     * try (IdleMonitor.Activity request = monitor.begin()) {
     *     handle(request);
     * }
     * }</pre>
     *
     * <p>Costs one striped atomic add and a small object, which the JIT usually keeps off the heap
     * when the handle does not leave the method (see the README's figures).
     *
     * @return a handle of this activity's own, whose {@code close()} ends it
     */
    public Activity begin() {
        counter.begin();
        return new ActivityHandle(counter);
    }

    /**
     * Marks the end of a connection handed out by {@link #accept()}. (An activity begun with {@link
     * #begin()} ends by closing its handle; calling this for one instead also works, but then nothing
     * protects the count from ending it twice.)
     */
    public void end() {
        // The place first, for the reason AdmittedConnection gives.
        gate.bound().give();
        counter.end();
    }

    /**
     * The bound on connections held at once ({@value #MAX_CONNECTIONS_VARIABLE}, else {@link
     * Builder#maxConnections}): at it, {@link #accept()} waits, and takes the next connection from the
     * kernel's backlog when a connection held {@link #end() ends}; a framework waits in {@link #admit()}.
     *
     * @return the bound; 0 when there is none (also in {@link Mode#CONNECTION}, one connection anyway)
     */
    public int maxConnections() {
        return gate.bound().max();
    }

    /**
     * The hook for a framework that accepts on threads of its own (see {@link #acceptsOnItsOwn}) and
     * should hold no more than {@link #maxConnections()} connections: call it, instead of {@link
     * #begin()}, on the accepting thread for each connection it has just accepted, and close the handle
     * when that connection closes. The connection is counted at once (so the idle exit sees it), then
     * this waits while the bound is full; the accepting thread accepts nothing meanwhile, so further
     * clients wait in the kernel's backlog. A process therefore holds at most the bound plus one
     * waiting connection per accepting thread. It returns at once when there is no bound, and once
     * the process is ending (the connection is counted, and served before the exit). Call it only on a
     * thread that does nothing but accept (Netty's boss loop, Jetty's acceptor threads): a thread that
     * also serves connections would wait for itself. An interrupt does not end the wait; the thread's
     * flag is set again when it returns.
     *
     * @return the connection's handle: closing it frees its place and ends its activity, once
     */
    public Activity admit() {
        counter.begin();
        gate.awaitPlace();
        return new AdmittedConnection(counter, gate.bound());
    }

    /**
     * The buffers the builder asked for ({@link Builder#connectionBuffers}): one per place of the
     * bound, allocated at start-up, taken for a connection and given back when it ends.
     *
     * @throws IllegalStateException when the builder asked for none
     */
    public BufferPool buffers() {
        if (buffers == null) {
            throw new IllegalStateException("this monitor has no buffer pool: ask for one with IdleMonitor.builder().connectionBuffers(bytes)");
        }
        return buffers;
    }

    /**
     * The hook for a framework that accepts connections on threads of its own (Jetty, Netty), so that
     * the idle exit loses none of them either. The framework counts each connection it accepts with
     * {@link #begin()}, on the thread that accepted it, before that thread accepts the next one
     * (Netty: a handler on the server channel's pipeline; Jetty: a {@code SelectorManager.AcceptListener});
     * and it closes the handle when the connection closes.
     *
     * <p>{@code stopAccepting} is what makes the count complete: the monitor runs it when the process
     * ends (idle, SIGTERM, {@link #shutdown()}), before it waits for active work, and it must return
     * only once the framework accepts no more connections and every connection it took from the
     * kernel has been counted (Netty: {@code serverChannel.deregister().sync()}, which runs on the
     * accepting event loop; Jetty: {@code connector.setAccepting(false)} and then a pass through each
     * of its selectors). A connection accepted before that is counted, so the process serves it before
     * it exits; one not accepted stays in the backlog of the socket the service manager holds, which
     * starts the next process for it. Do not close the listener there: see the README about fds 0-2.
     * Register it before the server starts accepting, and call {@link #ready()} once it runs.
     *
     * <p>A failure of {@code stopAccepting} is logged and the exit goes on.
     */
    public void acceptsOnItsOwn(Runnable stopAccepting) {
        ending.addStopAccepting(Objects.requireNonNull(stopAccepting, "stopAccepting"));
    }

    /**
     * Says that start-up is finished: from now on the process may end when idle (before, start-up
     * counts as an activity, so that a process started for a connection serves it however long its
     * start takes), and systemd hears {@code READY=1}, which a {@code Type=notify} unit waits for. The
     * first {@link #accept()} does it by itself, so only services that accept on their own (Jetty,
     * Netty) need to call it, once their server runs. Only the first call does anything. Sent on the
     * monitor's notify thread; nothing is sent when {@code NOTIFY_SOCKET} is unset.
     */
    public void ready() {
        if (!readySent.get() && readySent.compareAndSet(false, true)) {
            startedUp();
            notifier.send(SdNotify.READY);
        }
    }

    /**
     * Tells systemd a line of status, shown by {@code systemctl status} ({@code STATUS=...}). Line
     * breaks become spaces, since they would start another state. Sent on the monitor's notify
     * thread; does nothing when {@code NOTIFY_SOCKET} is unset.
     */
    public void status(String text) {
        notifier.send("STATUS=" + text.replace('\n', ' ').replace('\r', ' '));
    }

    /**
     * Ends the process now, the way SIGTERM does: stops handing out connections, tells systemd
     * {@code STOPPING=1}, waits for active work (at most the drain timeout), runs the shutdown
     * action and exits with 0. Returns at once when the process is already ending (so the shutdown
     * action may call it); otherwise it does not return.
     */
    public void shutdown() {
        Thread stopper = ending.begin("shutdown requested by the application");
        if (stopper != null && stopper != Thread.currentThread()) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Settings the environment does not give. Every setting is optional; {@link #start()} applies
     * them.
     */
    public static final class Builder {
        private Duration idleTimeout = Duration.ZERO;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private final List<StandaloneListeners.Address> standalone = new ArrayList<>();
        private Runnable onShutdown;
        private boolean handleSigterm = true;
        private Map<String, String> environment = System.getenv();
        /** Standard input's channel; {@code null}: {@code System.inheritedChannel()}. */
        private InheritedSockets.StandardInput standardInput;
        /** How the process ends; {@code null}: {@code Runtime.exit}. */
        private IntConsumer exit;
        private int maxConnections;
        private int bufferSize;

        private Builder() {}

        /**
         * The most connections the process holds at once when {@value IdleMonitor#MAX_CONNECTIONS_VARIABLE}
         * is not set (the variable wins, as for the idle timeout: beckon sets it from the model's
         * {@code limits.connections}); 0, the default, for no bound. See {@link IdleMonitor#maxConnections()}.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder maxConnections(int connections) {
            if (connections < 0) {
                throw new IllegalArgumentException("the connection bound cannot be negative: " + connections);
            }
            this.maxConnections = connections;
            return this;
        }

        /**
         * Preallocates one direct buffer of {@code bytes} for each place of the connection bound, all at
         * {@link #start()}, handed out by {@link IdleMonitor#buffers()}. Needs a bound, except for a
         * process started for one connection (inetd {@code nowait}, systemd {@code Accept=yes}), which
         * gets one buffer.
         *
         * @throws IllegalArgumentException when not positive
         */
        public Builder connectionBuffers(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("a connection buffer needs at least one byte, not " + bytes);
            }
            this.bufferSize = bytes;
            return this;
        }

        /**
         * The idle timeout when {@code BECKON_IDLE_TIMEOUT} is not set; the variable wins, since the
         * deployment that sets it knows the service's setting. {@link Duration#ZERO} (the default):
         * never end by itself.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("the idle timeout cannot be negative: " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * How long an ending process waits for active work to finish (SIGTERM, {@link
         * IdleMonitor#shutdown()}) before it exits anyway; 10 s by default. Keep it below systemd's
         * {@code TimeoutStopSec=} (90 s by default), after which systemd kills the process.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder drainTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("the drain timeout cannot be negative: " + timeout);
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * An address to listen on when no service manager handed over any socket (development, or a
         * service run by hand), with the name {@link IdleMonitor#listener(String)} finds it by. Call
         * it once per listener. Such a process never ends by itself: nothing would start it again.
         */
        public Builder standaloneListener(String name, SocketAddress address) {
            standalone.add(new StandaloneListeners.Address(Objects.requireNonNull(name, "name"),
                    Objects.requireNonNull(address, "address")));
            return this;
        }

        /**
         * What the application does when the monitor ends the process (idle, SIGTERM,
         * {@link IdleMonitor#shutdown()}): stop its own server (Jetty's {@code server.stop()}, Netty's
         * {@code channel.close().sync()} and {@code group.shutdownGracefully()}), flush what it must.
         * Called once, on the monitor's thread, after the monitor stopped handing out connections (and
         * frameworks stopped accepting, see {@link IdleMonitor#acceptsOnItsOwn}), told systemd
         * {@code STOPPING=1} and waited for active work (at most the drain timeout), so that stopping a
         * server closes no connection still being served; when it returns, the monitor exits with 0.
         * A failure is logged and the exit goes on.
         */
        public Builder onShutdown(Runnable action) {
            this.onShutdown = Objects.requireNonNull(action, "action");
            return this;
        }

        /**
         * Whether the monitor takes over SIGTERM to drain before exiting with 0 (the default). Turn it
         * off when the application handles SIGTERM itself; it can then call
         * {@link IdleMonitor#shutdown()}.
         */
        public Builder handleSigterm(boolean handle) {
            this.handleSigterm = handle;
            return this;
        }

        /** For tests: the environment to read instead of the process's. */
        Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /** For tests: what standard input holds, instead of {@code System.inheritedChannel()}. */
        Builder standardInput(InheritedSockets.StandardInput standardInput) {
            this.standardInput = standardInput;
            return this;
        }

        /** For tests: how the process ends, instead of {@code Runtime.exit}. */
        Builder exit(IntConsumer exit) {
            this.exit = exit;
            return this;
        }

        /**
         * Reads the environment, takes the inherited sockets (or binds the standalone addresses) and
         * starts watching.
         *
         * <p>What it finds, in this order: fds from systemd when {@code LISTEN_PID} is this process
         * and {@code LISTEN_FDS} is positive ({@link Mode#SYSTEMD_LISTENERS}, or
         * {@link Mode#CONNECTION} for {@code Accept=yes}); else a listening socket on standard input
         * ({@link Mode#STANDARD_INPUT_LISTENER}); else a connected socket there
         * ({@link Mode#CONNECTION}); else nothing ({@link Mode#STANDALONE}: it binds the standalone
         * addresses and logs, once, that the process will not end when idle). Variables meant for
         * another process ({@code LISTEN_PID}, {@code WATCHDOG_PID} naming another pid) are ignored,
         * as are malformed {@code LISTEN_*} variables: "not activated" is a normal answer.
         *
         * <p>It also starts the watchdog pings when {@code WATCHDOG_USEC} asks for them and
         * {@code NOTIFY_SOCKET} is set, and takes over SIGTERM unless told not to.
         *
         * @return the running monitor
         * @throws IllegalStateException when {@code BECKON_IDLE_TIMEOUT} is not a duration,
         *     {@code BECKON_MAX_CONNECTIONS} is not a count, {@link #connectionBuffers} has no bound to size by,
         *     {@code NOTIFY_SOCKET} is not a Unix socket address, {@code WATCHDOG_USEC} or
         *     {@code WATCHDOG_PID} is not a positive number, or systemd passed fds 3 and up that this
         *     JVM may not turn into channels (the message says which flag allows it); each message
         *     names the variable and its value
         * @throws IOException when a standalone address cannot be bound, or the JDK cannot make a
         *     channel of an inherited socket
         */
        public IdleMonitor start() throws IOException {
            // Only when a variable names a process: even reading it costs at every start.
            long pid = environment.containsKey("LISTEN_PID") || environment.containsKey("WATCHDOG_PID")
                    ? OwnProcess.pid() : -1;
            Duration timeout = idleTimeoutFromEnvironment();
            // Only when it is set: SdNotify's class costs a cold start for nothing otherwise.
            Duration watchdog = environment.containsKey("WATCHDOG_USEC")
                    ? SdNotify.watchdogTimeout(environment, pid).orElse(null) : null;
            Notifier notifier = Notifier.forSocket(environment.get("NOTIFY_SOCKET"));
            int bound = ConnectionBound.fromEnvironment(environment, maxConnections);
            InheritedSockets.Found found = InheritedSockets.find(environment, pid, standardInput);
            if (bufferSize > 0 && bound == 0 && found.mode() != Mode.CONNECTION) {
                throw new IllegalStateException("connectionBuffers(" + bufferSize + ") needs a connection bound to size the pool:"
                        + " set " + MAX_CONNECTIONS_VARIABLE + " or call maxConnections");
            }
            List<InheritedSockets.Named> listeners = found.mode() == Mode.STANDALONE
                    ? StandaloneListeners.bind(standalone) : found.listeners();
            Duration effectiveTimeout = found.mode() == Mode.STANDARD_INPUT_LISTENER || found.mode() == Mode.SYSTEMD_LISTENERS
                    ? timeout : Duration.ZERO;
            IdleMonitor monitor = new IdleMonitor(this, found, listeners, effectiveTimeout, notifier, bound);
            if (found.mode() == Mode.STANDALONE) {
                Log.info("not socket-activated (" + found.origin() + "): "
                        + (listeners.isEmpty() ? "no standalone address to listen on"
                                : "listening on " + StandaloneListeners.describe(listeners))
                        + "; this process will not end when idle, since nothing would start it again");
            }
            if (watchdog != null && !notifier.isActive()) {
                Log.warning("WATCHDOG_USEC is set but NOTIFY_SOCKET is not: cannot send watchdog pings");
            }
            IdleWatcher.start(monitor.mode, effectiveTimeout, monitor.counter, monitor.gate, monitor.ending, notifier,
                    notifier.isActive() ? watchdog : null, handleSigterm);
            return monitor;
        }

        private Duration idleTimeoutFromEnvironment() {
            String value = environment.get(IDLE_TIMEOUT_VARIABLE);
            if (value == null) {
                return idleTimeout;
            }
            try {
                return DurationText.parse(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(IDLE_TIMEOUT_VARIABLE + "=" + DurationText.quote(value) + " " + e.getMessage(), e);
            }
        }
    }
}
