package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The monitor inside this JVM: standalone, and with a real listening socket standing in for standard
 * input, with the process's exit caught. The real activators are in the other tests.
 */
class IdleMonitorTest {
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record.getLevel() + " " + record.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();

    @BeforeEach
    void captureLog() {
        Logger.getLogger("dev.beckon.idle").addHandler(capture);
    }

    @AfterEach
    void cleanUp() throws Exception {
        Logger.getLogger("dev.beckon.idle").removeHandler(capture);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    @Test
    void standaloneBindsItsAddressesStartsNoThreadAndSaysOnceThatItWillNotEndWhenIdle() throws Exception {
        Set<String> threadsBefore = threadNames();
        IdleMonitor monitor = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "200ms"), () -> null)
                .standaloneListener("web", new InetSocketAddress("127.0.0.1", 0))
                .standaloneListener("admin", new InetSocketAddress("127.0.0.1", 0))
                .start();
        monitor.listeners().forEach(toClose::add);

        assertEquals(IdleMonitor.Mode.STANDALONE, monitor.mode());
        assertEquals(Duration.ZERO, monitor.idleTimeout(), "a process that bound its own socket never ends by itself");
        assertEquals(2, monitor.listeners().size());
        assertEquals(threadsBefore, threadNames(), "a standalone monitor has nothing to watch");
        assertEquals(1, logged.size(), logged.toString());
        assertTrue(logged.get(0).matches("INFO not socket-activated \\(nothing inherited\\): listening on /127.0.0.1:[0-9]+ \\(web\\),"
                + " /127.0.0.1:[0-9]+ \\(admin\\); this process will not end when idle, since nothing would start it again"),
                logged.get(0));

        Thread.sleep(400);
        assertFalse(exitCode.isDone(), "ended although standalone");
    }

    @Test
    void listenersAreFoundByName() throws Exception {
        IdleMonitor standalone = builder(Map.of(), () -> null)
                .standaloneListener("web", new InetSocketAddress("127.0.0.1", 0))
                .standaloneListener("admin", new InetSocketAddress("127.0.0.1", 0))
                .start();
        standalone.listeners().forEach(toClose::add);
        assertSame(standalone.listeners().get(1), standalone.listener("admin").orElseThrow());
        assertEquals(Optional.empty(), standalone.listener("metrics"));

        ServerSocketChannel onStandardInput = listening();
        IdleMonitor inherited = builder(Map.of(), () -> onStandardInput).start();
        assertEquals(IdleMonitor.Mode.STANDARD_INPUT_LISTENER, inherited.mode());
        assertSame(onStandardInput, inherited.listener("web").orElseThrow(), "an unnamed only listener answers to any name");
        assertSame(onStandardInput, inherited.listener("anything").orElseThrow());
    }

    @ParameterizedTest(name = "BECKON_IDLE_TIMEOUT={0} is refused at start-up")
    @CsvSource({"5x", "''", "1.5s", "30 s", "-1s"})
    void malformedIdleTimeoutIsAClearErrorNamingTheVariableAndTheValue(String value) {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, value), () -> null).start());
        assertTrue(error.getMessage().startsWith("BECKON_IDLE_TIMEOUT=\"" + value + "\" is "), error.getMessage());
        assertTrue(error.getMessage().endsWith("write it like 500ms, 30s, 5m, 1h30m or 0 (units: ms, s, m, h, d)"), error.getMessage());
    }

    @Test
    void theEnvironmentsIdleTimeoutWinsOverTheBuilders() throws Exception {
        IdleMonitor fromEnvironment = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "1h30m"), this::listening)
                .idleTimeout(Duration.ofSeconds(5)).start();
        assertEquals(Duration.ofMinutes(90), fromEnvironment.idleTimeout());
        IdleMonitor fromBuilder = builder(Map.of(), this::listening).idleTimeout(Duration.ofSeconds(5)).start();
        assertEquals(Duration.ofSeconds(5), fromBuilder.idleTimeout());
        IdleMonitor never = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "0"), this::listening)
                .idleTimeout(Duration.ofSeconds(5)).start();
        assertEquals(Duration.ZERO, never.idleTimeout());
    }

    @Test
    void anInheritedListenerEndsTheProcessWithZeroOnceNothingWasActiveForTheTimeout() throws Exception {
        ServerSocketChannel onStandardInput = listening();
        IdleMonitor monitor = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "200ms"), () -> onStandardInput).start();
        assertTrue(threadNames().contains("beckon-idle-watcher"));
        monitor.ready();

        IdleMonitor.Activity request = monitor.begin();
        Thread.sleep(600);
        assertFalse(exitCode.isDone(), "ended while an activity was active");

        // Taken before the activity ends, so that the idle clock cannot have started earlier: a lower bound only,
        // since how soon after the timeout the process ends depends on the machine's load.
        long ending = System.nanoTime();
        request.close();
        assertEquals(0, exitCode.get(60, TimeUnit.SECONDS));
        long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ending);
        assertTrue(idleMillis >= 200, "ended " + idleMillis + " ms after the last activity, before its timeout");
        assertEquals(Optional.empty(), monitor.accept(), "an ending process hands out no connection");
        assertTrue(onStandardInput.isOpen(), "the inherited listener is left open for the service manager");
        assertTrue(logged.contains("INFO idle for 200ms; exiting"), logged.toString());
    }

    @Test
    void startUpCountsAsAnActivityUntilTheServiceIsReady() throws Exception {
        ServerSocketChannel onStandardInput = listening();
        IdleMonitor monitor = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "200ms"), () -> onStandardInput).start();
        // A server that takes longer than the timeout to start (Jetty on a busy machine) is not idle.
        Thread.sleep(600);
        assertFalse(exitCode.isDone(), "ended before the service was ready: the connection it was started for is lost");
        monitor.ready();
        assertEquals(0, exitCode.get(5, TimeUnit.SECONDS));
    }

    @Test
    void eachBeginHasItsOwnHandleAndClosingOneTwiceEndsItOnce() throws Exception {
        ServerSocketChannel onStandardInput = listening();
        IdleMonitor monitor = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "200ms"), () -> onStandardInput).start();
        monitor.ready();
        IdleMonitor.Activity stillActive = monitor.begin();
        IdleMonitor.Activity closedTwice = monitor.begin();
        assertNotSame(stillActive, closedTwice);
        closedTwice.close();
        closedTwice.close();
        // Closed twice at once, from two threads, a thousand times over.
        ExecutorService closers = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 1_000; i++) {
                IdleMonitor.Activity handle = monitor.begin();
                CyclicBarrier together = new CyclicBarrier(2);
                Callable<Void> close = () -> {
                    together.await();
                    handle.close();
                    return null;
                };
                for (Future<Void> closing : closers.invokeAll(List.of(close, close))) {
                    closing.get();
                }
            }
        } finally {
            closers.shutdownNow();
        }

        // Counted twice, any of those ends would make the count idle with stillActive open.
        Thread.sleep(600);
        assertFalse(exitCode.isDone(), "ended while an activity was active: a second close was counted");
        stillActive.close();
        stillActive.close();
        assertEquals(0, exitCode.get(5, TimeUnit.SECONDS));
        assertFalse(logged.stream().anyMatch(line -> line.contains("more often")), logged.toString());
    }

    @Test
    void aConnectionWaitingInTheBacklogAtTheDeadlineKeepsTheProcessToServeIt() throws Exception {
        ServerSocketChannel onStandardInput = listening();
        IdleMonitor monitor = builder(Map.of(IdleMonitor.IDLE_TIMEOUT_VARIABLE, "300ms"), () -> onStandardInput).start();
        try (Socket first = new Socket(); Socket second = new Socket()) {
            first.connect(onStandardInput.getLocalAddress());
            SocketChannel firstConnection = monitor.accept().orElseThrow();
            // The application is busy with the first connection; the second waits in the backlog.
            second.connect(onStandardInput.getLocalAddress());
            firstConnection.close();
            monitor.end();

            Thread.sleep(900);
            assertFalse(exitCode.isDone(), "ended with a connection waiting: the next process would have served it later");
            SocketChannel secondConnection = monitor.accept().orElseThrow();
            secondConnection.close();
            monitor.end();
        }
        assertEquals(0, exitCode.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shutdownWaitsForActiveWorkRunsTheShutdownActionThenExitsZero() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        IdleMonitor monitor = builder(Map.of(), () -> null)
                .standaloneListener("web", new InetSocketAddress("127.0.0.1", 0))
                .onShutdown(() -> order.add("shutdown action"))
                .drainTimeout(Duration.ofMinutes(1))
                .start();
        monitor.listeners().forEach(toClose::add);
        CompletableFuture<Optional<SocketChannel>> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                return monitor.accept();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        IdleMonitor.Activity request = monitor.begin();
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(monitor::shutdown);

        assertEquals(Optional.empty(), accepting.get(5, TimeUnit.SECONDS), "a waiting accept ends when the process ends");
        // The monitor says when it begins to wait for the active work: an event, not a time. The drain timeout is
        // far beyond what this test takes, so only the request's end can end the wait.
        String waiting = "INFO shutdown requested by the application; waiting up to 1m for 1 active connection or request; exiting";
        for (int waited = 0; !logged.contains(waiting); waited++) {
            assertTrue(waited < 6_000, "the monitor did not begin to wait within a minute: " + logged);
            Thread.sleep(10);
        }
        assertFalse(exitCode.isDone(), "exited with a request in flight");
        assertEquals(List.of(), order, "the shutdown action ran while a request was in flight");
        order.add("request done");
        request.close();

        assertEquals(0, exitCode.get(5, TimeUnit.SECONDS));
        shutdown.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("request done", "shutdown action"), order, "the shutdown action (a server's stop) must not cut the request off");
    }

    @Test
    void theDrainTimeoutBoundsTheWaitForWorkThatNeverEnds() throws Exception {
        IdleMonitor monitor = builder(Map.of(), () -> null).drainTimeout(Duration.ofMillis(300)).start();
        monitor.begin();
        long start = System.nanoTime();
        CompletableFuture.runAsync(monitor::shutdown);
        assertEquals(0, exitCode.get(60, TimeUnit.SECONDS), "the drain timeout ends a wait for work that never ends");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis >= 300, "exited after " + millis + " ms, before the drain timeout");
        assertTrue(logged.contains("WARNING 1 activities still active after 300ms (the drain timeout); exiting anyway"), logged.toString());
    }

    @Test
    void acceptWithoutAnyListenerIsAMistakeSaidPlainly() throws Exception {
        IdleMonitor monitor = builder(Map.of(), () -> null).start();
        IllegalStateException error = assertThrows(IllegalStateException.class, monitor::accept);
        assertEquals("there is no listener to accept from: nothing was inherited (nothing inherited) and the builder named"
                + " no standalone address", error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> monitor.accept(listening()));
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

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("beckon-")).collect(Collectors.toSet());
    }

}
