package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The connection bound and the buffer pool, in this JVM with a real listening socket standing in for
 * standard input and the process's exit caught: what waits at the bound, what resumes, and that the
 * idle exit still loses no connection when clients queue behind the bound.
 */
class ConnectionBoundTest {
    /** A bound for a hang, not a speed: each wait below ends on an event. */
    private static final long HANG_SECONDS = 60;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    @Test
    void atTheBoundAcceptWaitsWithTheClientInTheBacklogAndTakesItWhenAConnectionEnds() throws Exception {
        ServerSocketChannel onStandardInput = listening();
        IdleMonitor monitor = builder(Map.of(IdleMonitor.MAX_CONNECTIONS_VARIABLE, "2"), () -> onStandardInput).start();
        assertEquals(2, monitor.maxConnections());
        Socket third = new Socket();
        toClose.add(third);
        for (int i = 0; i < 2; i++) {
            Socket client = new Socket();
            toClose.add(client);
            client.connect(onStandardInput.getLocalAddress());
            toClose.add(monitor.accept().orElseThrow());
        }
        third.connect(onStandardInput.getLocalAddress());

        CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
        Thread accepting = new Thread(() -> {
            try {
                accepted.complete(monitor.accept().orElseThrow());
            } catch (IOException | RuntimeException e) {
                accepted.completeExceptionally(e);
            }
        }, "test-accept");
        accepting.start();
        awaitWaiting(accepting);
        assertFalse(accepted.isDone(), "accepted a third connection past a bound of 2");
        assertTrue(backlogHoldsAConnection(onStandardInput), "the third client is not in the kernel's backlog");

        monitor.end();
        SocketChannel connection = accepted.get(HANG_SECONDS, TimeUnit.SECONDS);
        toClose.add(connection);
        assertEquals(third.getLocalSocketAddress(), connection.getRemoteAddress(), "the client that waited is the one taken");
    }

    @Test
    void admitWaitsAtTheBoundUntilAnAdmittedConnectionClosesAndReturnsAtOnceWhenTheProcessEnds() throws Exception {
        IdleMonitor monitor = builder(Map.of(), () -> null).maxConnections(1).drainTimeout(Duration.ofMinutes(1)).start();
        IdleMonitor.Activity first = monitor.admit();
        CompletableFuture<IdleMonitor.Activity> second = new CompletableFuture<>();
        Thread framework = new Thread(() -> second.complete(monitor.admit()), "test-acceptor");
        framework.start();
        awaitWaiting(framework);
        assertFalse(second.isDone(), "admitted a second connection past a bound of 1");
        first.close();
        first.close();
        IdleMonitor.Activity admitted = second.get(HANG_SECONDS, TimeUnit.SECONDS);
        assertNotSame(first, admitted);

        // At the bound again, a framework's thread waits; ending the process releases it, still counted.
        CompletableFuture<IdleMonitor.Activity> third = new CompletableFuture<>();
        Thread late = new Thread(() -> third.complete(monitor.admit()), "test-acceptor-2");
        late.start();
        awaitWaiting(late);
        CompletableFuture.runAsync(monitor::shutdown);
        IdleMonitor.Activity lateConnection = third.get(HANG_SECONDS, TimeUnit.SECONDS);
        admitted.close();
        assertFalse(exitCode.isDone(), "exited with the connection admitted while ending still open");
        lateConnection.close();
        assertEquals(0, exitCode.get(HANG_SECONDS, TimeUnit.SECONDS));
    }

    /**
     * Bursts at random moments around the idle deadline against a service bound to one connection at a
     * time, so that clients queue behind the bound; each time a process ends, the next one is started on
     * the same listening socket, as systemd does. Every client is answered, by the process it queued
     * at or by the next.
     */
    @Test
    void clientsQueuedBehindTheBoundAtTheIdleDeadlineAreAllServedByThisProcessOrTheNext() throws Exception {
        ServerSocketChannel socket = listening();
        int port = ((InetSocketAddress) socket.getLocalAddress()).getPort();
        AtomicInteger generation = new AtomicInteger();
        Set<Integer> exited = ConcurrentHashMap.newKeySet();
        // The service manager: a new process whenever the last one exited, for as long as the test runs.
        Thread manager = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    int number = generation.incrementAndGet();
                    CompletableFuture<Integer> exit = new CompletableFuture<>();
                    IdleMonitor monitor = IdleMonitor.builder().environment(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "300ms",
                            IdleMonitor.MAX_CONNECTIONS_VARIABLE, "1")).standardInput(() -> socket).handleSigterm(false)
                            .exit(exit::complete).start();
                    Thread service = new Thread(() -> serveLines(monitor, number), "test-service-" + number);
                    service.setDaemon(true);
                    service.start();
                    exit.get();
                    exited.add(number);
                    // systemd starts the next process at the next connection; starting it at once is the same here.
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "test-manager");
        manager.setDaemon(true);
        manager.start();
        try {
            DeadlineRace race = new DeadlineRace(300, 6, 0, 3, () -> "processes started: " + generation.get() + ", exited: " + exited);
            String outcome = race.run(() -> Clients.pid(Clients.ask(port, "burst", DeadlineRace.ANSWER_LIMIT)), () -> "");
            System.out.println("bounded deadline race: " + outcome);
        } finally {
            manager.interrupt();
        }
    }

    /** A service bound to one connection at a time: each line answered with {@code pid=GENERATION}. */
    private static void serveLines(IdleMonitor monitor, int number) {
        try {
            Optional<SocketChannel> next;
            while ((next = monitor.accept()).isPresent()) {
                SocketChannel client = next.get();
                Thread serving = new Thread(() -> {
                    try (client) {
                        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
                        OutputStream out = Channels.newOutputStream(client);
                        for (String line = in.readLine(); line != null; line = in.readLine()) {
                            out.write((line + " pid=" + number + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    } catch (IOException e) {
                        // The client went away; its answer was checked on its side.
                    } finally {
                        monitor.end();
                    }
                });
                serving.setDaemon(true);
                serving.start();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void thePoolHandsOutItsPreallocatedBuffersOncePerPlaceAndTakesBackOnlyItsOwn() throws Exception {
        IdleMonitor monitor = builder(Map.of(), this::listening).maxConnections(3).connectionBuffers(4096).start();
        BufferPool pool = monitor.buffers();
        assertEquals(3, pool.buffers());
        assertEquals(4096, pool.bufferSize());
        List<ByteBuffer> taken = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuffer buffer = pool.take();
            assertTrue(buffer.isDirect());
            assertEquals(4096, buffer.capacity());
            assertEquals(4096, buffer.remaining());
            assertTrue(taken.stream().noneMatch(other -> other == buffer), "handed out the same buffer twice");
            buffer.putInt(i);
            taken.add(buffer);
        }
        assertEquals(0, pool.available());

        CompletableFuture<ByteBuffer> fourth = new CompletableFuture<>();
        Thread taker = new Thread(() -> {
            try {
                fourth.complete(pool.take());
            } catch (InterruptedException e) {
                fourth.completeExceptionally(e);
            }
        }, "test-taker");
        taker.start();
        awaitWaiting(taker);
        assertFalse(fourth.isDone(), "a fourth buffer from a pool of three");
        pool.give(taken.get(1));
        ByteBuffer again = fourth.get(HANG_SECONDS, TimeUnit.SECONDS);
        assertTrue(again == taken.get(1), "the buffer given back is the one handed out next");
        assertEquals(0, again.position(), "handed out again without being cleared");

        assertThrows(IllegalArgumentException.class, () -> pool.give(ByteBuffer.allocateDirect(4096)), "a buffer of no pool");
        assertThrows(IllegalArgumentException.class, () -> pool.give(taken.get(0).duplicate()), "a duplicate of one");
        pool.give(taken.get(0));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> pool.give(taken.get(0)));
        assertTrue(twice.getMessage().startsWith("this buffer was given back already"), twice.getMessage());
    }

    @Test
    void aPoolNeedsABoundAndAMonitorWithoutOneSaysSo() throws Exception {
        IllegalStateException unsized = assertThrows(IllegalStateException.class,
                () -> builder(Map.of(), this::listening).connectionBuffers(4096).start());
        assertEquals("connectionBuffers(4096) needs a connection bound to size the pool: set BECKON_MAX_CONNECTIONS or call"
                + " maxConnections", unsized.getMessage());
        IdleMonitor without = builder(Map.of(), this::listening).start();
        assertEquals(0, without.maxConnections());
        assertThrows(IllegalStateException.class, without::buffers);
    }

    @Test
    void theEnvironmentsBoundWinsOverTheBuilders() throws Exception {
        assertEquals(500, builder(Map.of(IdleMonitor.MAX_CONNECTIONS_VARIABLE, "500"), this::listening).maxConnections(20).start()
                .maxConnections());
        assertEquals(0, builder(Map.of(IdleMonitor.MAX_CONNECTIONS_VARIABLE, "0"), this::listening).maxConnections(20).start()
                .maxConnections(), "0 in the environment: no bound");
        assertEquals(20, builder(Map.of(), this::listening).maxConnections(20).start().maxConnections());
        assertThrows(IllegalArgumentException.class, () -> IdleMonitor.builder().maxConnections(-1));
    }

    @ParameterizedTest(name = "BECKON_MAX_CONNECTIONS={0} is refused at start-up")
    @CsvSource({"5x", "''", "-1", "1.5", "99999999999"})
    void aMalformedBoundIsAClearErrorNamingTheVariableAndTheValue(String value) {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> builder(Map.of(IdleMonitor.MAX_CONNECTIONS_VARIABLE, value), () -> null).start());
        assertEquals("BECKON_MAX_CONNECTIONS=\"" + value + "\" is not a number of connections; write a whole number such as 500,"
                + " or 0 for no bound", error.getMessage());
    }

    /** Whether a connection waits in the listener's backlog, looked at with a selector of the test's own. */
    private static boolean backlogHoldsAConnection(ServerSocketChannel listener) throws IOException {
        try (Selector probe = Selector.open()) {
            listener.register(probe, SelectionKey.OP_ACCEPT);
            return probe.selectNow() > 0;
        }
    }

    /** Until the thread waits (on a lock or a queue): an event, bounded only as a hang. */
    private static void awaitWaiting(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        while (thread.getState() != Thread.State.WAITING) {
            assertTrue(thread.isAlive(), thread.getName() + " ended instead of waiting");
            assertTrue(System.nanoTime() < deadline, thread.getName() + " never waited: " + List.of(thread.getStackTrace()));
            Thread.sleep(5);
        }
    }

    private IdleMonitor.Builder builder(Map<String, String> environment, InheritedSockets.StandardInput standardInput) {
        return IdleMonitor.builder()
                .environment(environment)
                .standardInput(standardInput)
                .handleSigterm(false)
                .exit(exitCode::complete);
    }

    private ServerSocketChannel listening() throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        toClose.add(channel);
        return channel;
    }
}
