package example;

import dev.beckon.idle.IdleMonitor;
import java.nio.channels.SelectableChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty 12 serving HTTP through the listener the service manager passed, ending when idle without
 * losing a connection: answers every request with {@code hello pid=PID}. The README's Jetty example
 * is the part between the {@code readme} markers; the tests run it under systemd.
 */
public final class JettyHelloServer {
    private static final long PID = ProcessHandle.current().pid();

    private JettyHelloServer() {}

    public static void main(String[] args) throws Exception {
        // readme:jetty
        Server server = new Server();
        IdleMonitor monitor = IdleMonitor.builder()
                .onShutdown(() -> {                        // runs once the counted connections ended
                    try {
                        server.stop();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .start();
        // No acceptor threads: the selector accepts, without blocking, on the thread that counts.
        ServerConnector connector = new ServerConnector(server, 0, 1);
        connector.open(monitor.listener("http").orElseThrow());
        connector.addEventListener(new CountConnections(monitor));
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Sink.write(response, true, "hello pid=" + PID + "\n", callback);
                return true;
            }
        });
        // When the process ends, first stop accepting: then every connection Jetty took is counted,
        // and the rest wait in the backlog for the next process.
        monitor.acceptsOnItsOwn(() -> stopAccepting(connector));
        server.start();
        monitor.ready();                                    // from now on it may end when idle
        // readme:end
    }

    // readme:jetty-count
    /** Counts every connection from the moment Jetty accepts it until it closes. */
    static final class CountConnections implements SelectorManager.AcceptListener, Connection.Listener {
        private final IdleMonitor monitor;
        private final Map<Object, IdleMonitor.Activity> open = new ConcurrentHashMap<>();

        CountConnections(IdleMonitor monitor) {
            this.monitor = monitor;
        }

        @Override
        public void onAccepting(SelectableChannel channel) {   // on the thread that accepted it
            open.put(channel, monitor.begin());
        }

        @Override
        public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
            ended(channel);
        }

        @Override
        public void onClosed(Connection connection) {
            ended(connection.getEndPoint().getTransport());
        }

        private void ended(Object channel) {
            IdleMonitor.Activity connection = open.remove(channel);
            if (connection != null) {
                connection.close();
            }
        }
    }

    /** Takes the accepting key off the connector's selector, then waits for each selector to pass by. */
    static void stopAccepting(ServerConnector connector) {
        connector.setAccepting(false);
        for (ManagedSelector selector : connector.getSelectorManager().getBeans(ManagedSelector.class)) {
            if (!selector.isRunning()) {
                continue;                                   // not started yet, or stopped: it accepts nothing
            }
            CountDownLatch passed = new CountDownLatch(1);
            selector.submit(ignored -> passed.countDown());    // runs after the removal, between two accepts
            try {
                passed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
    // readme:end
}
