package dev.beckon.idle.services;

import dev.beckon.idle.IdleMonitor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The service the tests start for real under systemd, inetd and xinetd, using only the library's
 * public API. Each line a client sends gets one line back:
 * <ul>
 *   <li>{@code slow MILLIS}: waits that long, then answers {@code done pid=PID};
 *   <li>anything else: the line itself, then {@code pid=PID listener=NAME}.
 * </ul>
 * Arguments: {@code --names a,b} (one accepting thread per named listener, else one for all),
 * {@code --standalone NAME=HOST:PORT}, {@code --idle DURATION_MS}, {@code --drain DURATION_MS},
 * {@code --linger-on-shutdown MILLIS} (a shutdown action that takes that long),
 * {@code --status TEXT} (sent with STATUS= once started), {@code --close-listeners-on-shutdown TEXT}
 * (a shutdown action that closes the listeners, then prints the text to standard error). With {@code -Didle.test.logs=DIR} it logs,
 * the library's messages included, to {@code DIR/service-PID.log}, since under inetd its standard
 * error is the socket.
 */
public final class EchoService {
    private static final long PID = ProcessHandle.current().pid();
    private static final Logger LOG = Logger.getLogger("dev.beckon.idle.services");

    private EchoService() {}

    public static void main(String[] args) throws IOException {
        logToFileIfAsked();
        List<String> names = new ArrayList<>();
        IdleMonitor.Builder builder = IdleMonitor.builder();
        String status = null;
        List<IdleMonitor> built = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--names" -> names.addAll(List.of(value.split(",")));
                case "--standalone" -> {
                    String[] nameAndAddress = value.split("=", 2);
                    int colon = nameAndAddress[1].lastIndexOf(':');
                    builder.standaloneListener(nameAndAddress[0], new InetSocketAddress(nameAndAddress[1].substring(0, colon),
                            Integer.parseInt(nameAndAddress[1].substring(colon + 1))));
                }
                case "--idle" -> builder.idleTimeout(Duration.ofMillis(Long.parseLong(value)));
                case "--drain" -> builder.drainTimeout(Duration.ofMillis(Long.parseLong(value)));
                case "--linger-on-shutdown" -> builder.onShutdown(() -> {
                    LOG.info("shutdown action: lingering " + value + " ms");
                    sleep(Long.parseLong(value));
                });
                case "--status" -> status = value;
                case "--close-listeners-on-shutdown" -> builder.onShutdown(() -> {
                    // What Jetty and Netty do when they stop; then a line that must still reach the log.
                    for (ServerSocketChannel listener : built.get(0).listeners()) {
                        try {
                            listener.close();
                        } catch (IOException e) {
                            LOG.warning("cannot close " + listener + ": " + e);
                        }
                    }
                    System.err.println("echo-service: " + value + " pid=" + PID);
                });
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        IdleMonitor monitor;
        try {
            monitor = builder.start();
            built.add(monitor);
        } catch (IllegalStateException e) {
            LOG.severe("cannot start: " + e.getMessage());
            System.err.println("echo-service: " + e.getMessage());
            System.exit(2);
            return;
        }
        LOG.info("started pid=" + PID + " mode=" + monitor.mode() + " idle-timeout=" + monitor.idleTimeout());
        if (status != null) {
            monitor.status(status);
        }
        if (names.isEmpty()) {
            acceptLoop(monitor, Optional.empty(), "any");
            return;
        }
        List<Thread> acceptors = new ArrayList<>();
        for (String name : names) {
            ServerSocketChannel listener = monitor.listener(name).orElseThrow(() -> new IllegalStateException("no listener " + name));
            Thread acceptor = new Thread(() -> {
                try {
                    acceptLoop(monitor, Optional.of(listener), name);
                } catch (IOException e) {
                    LOG.log(Level.SEVERE, "accepting on " + name + " failed", e);
                }
            }, "accept-" + name);
            acceptor.start();
            acceptors.add(acceptor);
        }
    }

    private static void acceptLoop(IdleMonitor monitor, Optional<ServerSocketChannel> listener, String name) throws IOException {
        Optional<SocketChannel> next;
        while ((next = listener.isPresent() ? monitor.accept(listener.get()) : monitor.accept()).isPresent()) {
            SocketChannel client = next.get();
            new Thread(() -> serve(monitor, client, name), "serve").start();
        }
        LOG.info("accept loop on " + name + " ended");
    }

    private static void serve(IdleMonitor monitor, SocketChannel client, String name) {
        try (client) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(client);
            String line;
            while ((line = in.readLine()) != null) {
                String answer;
                if (line.startsWith("slow ")) {
                    LOG.info("slow request: " + line);
                    sleep(Long.parseLong(line.substring(5).trim()));
                    answer = "done pid=" + PID;
                } else {
                    answer = line + " pid=" + PID + " listener=" + name;
                }
                out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "serving a client failed", e);
        } finally {
            monitor.end();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void logToFileIfAsked() throws IOException {
        String directory = System.getProperty("idle.test.logs");
        if (directory == null) {
            return;
        }
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        FileHandler file = new FileHandler(Path.of(directory, "service-" + PID + ".log").toString(), true);
        file.setFormatter(new SimpleFormatter() {
            // Milliseconds and CLOCK_MONOTONIC microseconds, to set a line beside systemd's timestamps.
            @Override
            public String format(LogRecord record) {
                return record.getInstant() + " monotonic=" + System.nanoTime() / 1_000 + " " + super.format(record);
            }
        });
        file.setLevel(Level.ALL);
        root.addHandler(file);
        root.setLevel(Level.INFO);
    }
}
