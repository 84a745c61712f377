package dev.beckon.activation;

import dev.beckon.activation.inetd.TcpListeners;
import dev.beckon.models.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Readiness of an always-on service that binds its own ports and gives no other signal (it does not
 * notify, has no health check, and the manager holds none of its sockets): it is ready once its
 * processes listen on every port it declares, as the kernel reports it. Looking does not connect. A
 * service that listens on another port, or dies before it binds, is not ready within its
 * ready-timeout, which is the only bound here.
 */
public final class OwnPortsReadiness {
    private static final Duration POLL = Duration.ofMillis(20);

    /** The service's main process, as its manager knows it; 0 while there is none. */
    @FunctionalInterface
    public interface MainProcess {
        long pid() throws ActivationException;
    }

    private OwnPortsReadiness() {}

    /** Whether this is how the instance's readiness is seen: always on, no other signal, and ports it declares. */
    public static boolean applies(ServiceInstance instance) {
        return instance.onDemand().isEmpty() && !instance.readiness().notifies()
                && instance.readiness().health().isEmpty() && !instance.ports().isEmpty();
    }

    public static void await(ServiceInstance instance, MainProcess mainProcess, ReadinessWait.Liveness liveness)
            throws ActivationException {
        Duration timeout = instance.readiness().timeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                Optional<String> stopped = liveness.stopped();
                if (stopped.isPresent()) {
                    throw new ActivationException(instance.id(), "it stopped before it listened on its ports ("
                            + stopped.get() + ")");
                }
                SortedMap<String, Integer> missing = notListening(instance.ports(), mainProcess.pid());
                if (missing.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new ActivationException(instance.id(), "it runs, but does not listen on "
                            + missing.entrySet().stream().map(port -> port.getKey() + " (" + port.getValue() + ")")
                                    .collect(Collectors.joining(", "))
                            + " within its ready-timeout of " + Durations.format(timeout)
                            + ": does it listen on the ports the model declares?");
                }
                Thread.sleep(POLL.toMillis());
            }
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read the listening sockets from /proc/net/tcp: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(instance.id(), "interrupted while waiting for it to listen on its ports", e);
        }
    }

    /** The declared ports on which none of the process's tree holds a listening socket. */
    private static SortedMap<String, Integer> notListening(Map<String, Integer> ports, long mainPid) throws IOException {
        SortedMap<String, Integer> missing = new TreeMap<>(ports);
        if (mainPid <= 0) {
            return missing;
        }
        Set<Long> inodes = new HashSet<>(TcpListeners.socketInodes(mainPid));
        ProcessHandle.of(mainPid).ifPresent(main -> main.descendants()
                .forEach(child -> inodes.addAll(TcpListeners.socketInodes(child.pid()))));
        for (Map.Entry<String, Integer> port : ports.entrySet()) {
            if (!TcpListeners.heldBy(TcpListeners.onPort(port.getValue()), inodes).isEmpty()) {
                missing.remove(port.getKey());
            }
        }
        return missing;
    }
}
