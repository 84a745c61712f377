package dev.beckon.activation;

import dev.beckon.activation.inetd.TcpListeners;
import dev.beckon.models.Durations;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;

/**
 * Readiness of a service whose listeners the manager holds: it has taken them and answers. A
 * connection to its first listener queues in the kernel backlog until the service accepts it; the
 * service is ready once that backlog is empty while it runs.
 */
public final class ListenerHandover {
    private static final Duration POLL = Duration.ofMillis(20);

    private ListenerHandover() {}

    public static void awaitTaken(ServiceInstance instance, ReadinessWait.Liveness liveness) throws ActivationException {
        ListenAddress first = instance.onDemand().orElseThrow().listen().get(0);
        Duration timeout = instance.readiness().timeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (AutoCloseable connection = connect(instance, first)) {
            while (true) {
                Optional<String> stopped = liveness.stopped();
                if (stopped.isPresent()) {
                    throw new ActivationException(instance.id(), "it stopped before it took the connection waiting on " + first
                            + " (" + stopped.get() + ")");
                }
                if (!(first instanceof ListenAddress.Inet inet) || queued(inet) == 0) {
                    // A Unix socket's queue is not visible: a service that runs after the connection came is taken for ready.
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new ActivationException(instance.id(), "it runs, but did not take the connection waiting on " + first
                            + " within its ready-timeout of " + Durations.format(timeout) + ": does it accept on the sockets it is given?");
                }
                Thread.sleep(POLL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(instance.id(), "interrupted while waiting for it to take its connection", e);
        } catch (ActivationException e) {
            throw e;
        } catch (Exception e) {
            throw new ActivationException(instance.id(), "cannot connect to its listener " + first + " to check it: "
                    + Messages.printable(String.valueOf(e.getMessage())), e);
        }
    }

    private static AutoCloseable connect(ServiceInstance instance, ListenAddress address) throws IOException {
        if (address instanceof ListenAddress.Inet inet) {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(inet.host().orElse("127.0.0.1"), inet.port()), 10_000);
            return socket;
        }
        return SocketChannel.open(UnixDomainSocketAddress.of(((ListenAddress.Unix) address).path()));
    }

    private static int queued(ListenAddress.Inet address) throws IOException {
        return TcpListeners.on(address).stream().mapToInt(TcpListeners.Listener::backlog).sum();
    }
}
