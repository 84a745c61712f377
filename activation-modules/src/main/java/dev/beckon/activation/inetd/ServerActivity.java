package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.UnacceptedConnections;
import dev.beckon.models.ListenAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What an inetd or xinetd instance is doing: a server runs, the daemon listens with none running,
 * or connections wait that no server takes (its server exits without serving).
 */
final class ServerActivity {
    /** How long connections may wait in the backlog with no server before query calls the instance failed. */
    private static final Duration BACKLOG_GRACE = Duration.ofSeconds(1);

    private final String daemonName;
    private final Path pidFile;
    private final DaemonListeners listeners;

    ServerActivity(String daemonName, Path pidFile, DaemonListeners listeners) {
        this.daemonName = daemonName;
        this.pidFile = pidFile;
        this.listeners = listeners;
    }

    InstanceStatus observe(ServiceInstance instance, Optional<String> entry, Set<Path> launchers, String entryDescription,
            InstanceStatus.Presence presence, List<String> drift)
            throws ActivationException {
        Optional<Daemon> daemon = Daemon.find(daemonName, pidFile, instance.id());
        if (daemon.isEmpty()) {
            return new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, daemonName + " is not running (pid file " + pidFile + ")");
        }
        ListenAddress.Inet listener = SuperServerInstances.listener(instance, daemonName);
        // A wait server takes the queued connections itself. One that exits without taking them is started
        // again at once for the same connections: servers come and go while the queue stays. Seeing one run
        // at the moment of the query does not tell that apart from a healthy server, so follow the
        // connections queued now: taken, the server serves; still queued after two servers exited, it
        // does not. BACKLOG_GRACE only bounds the watch for a server that is slow to take them.
        boolean serverAccepts = !instance.onDemand().orElseThrow().accept();
        Set<Long> serversSeen = new TreeSet<>();
        Set<Long> serversExited = new TreeSet<>();
        Set<String> followed = null;
        long deadline = System.nanoTime() + BACKLOG_GRACE.toNanos();
        while (true) {
            List<ProcessHandle> servers = daemon.get().servers(launchers);
            Set<Long> running = servers.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
            serversSeen.stream().filter(pid -> !running.contains(pid)).forEach(serversExited::add);
            serversSeen.addAll(running);
            int queued = serverAccepts && !servers.isEmpty()
                    ? listeners.listening(daemon.get(), listener).stream().mapToInt(TcpListeners.Listener::backlog).sum()
                    : 0;
            if (!servers.isEmpty() && queued == 0) {
                return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, "server " + pids(servers) + " runs");
            }
            Set<String> waitingNow = unaccepted(instance, listener);
            if (followed == null) {
                followed = waitingNow;
            } else {
                followed.retainAll(waitingNow);
            }
            if (!servers.isEmpty()) {
                if (followed.isEmpty()) {
                    // What waited when we looked was taken; what waits now came later.
                    return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, "server " + pids(servers) + " runs");
                }
                if (serversExited.size() >= 2 || System.nanoTime() > deadline) {
                    if (serversExited.size() < 2) {
                        // One server, still starting or busy: the queue is its to take.
                        return new InstanceStatus(presence, InstanceStatus.Activity.RUNNING, drift, "server " + pids(servers) + " runs");
                    }
                    return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift, followed.size() + " connection(s) wait on "
                            + listener + " while " + serversExited.size() + " servers started and exited without taking them:"
                            + " its server exits without serving" + SuperServerInstances.logEnd(instance));
                }
                listeners.sleep(DaemonListeners.POLL);
                continue;
            }
            List<TcpListeners.Listener> listening = listeners.listening(daemon.get(), listener);
            if (listening.isEmpty()) {
                return entry.isEmpty()
                        ? new InstanceStatus(presence, InstanceStatus.Activity.INACTIVE, drift, daemon.get() + " does not listen on " + listener)
                        : new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift, daemon.get() + " does not listen on " + listener
                                + " although " + entryDescription + " is there" + SuperServerInstances.logEnd(instance));
            }
            int waiting = listening.stream().mapToInt(TcpListeners.Listener::backlog).sum();
            if (waiting == 0) {
                return new InstanceStatus(presence, InstanceStatus.Activity.LISTENING, drift,
                        daemon.get() + " listens on " + listener + "; no server runs");
            }
            // The daemon starts a server as soon as a connection comes. Back in its event loop, with
            // no child of its own and no signal to handle, while connections wait, it starts none.
            // Children are looked for before and after: one forked in between shows the second time.
            boolean startsNone = !daemon.get().hasChildren() && EventLoopProbe.idleCalls(daemon.get().pid()).isPresent()
                    && !daemon.get().hasChildren();
            if (startsNone || System.nanoTime() > deadline) {
                return new InstanceStatus(presence, InstanceStatus.Activity.FAILED, drift, waiting + " connection(s) wait on " + listener
                        + " and no server runs to accept them: its server exits without serving" + SuperServerInstances.logEnd(instance));
            }
            listeners.sleep(DaemonListeners.POLL);
        }
    }

    private static Set<String> unaccepted(ServiceInstance instance, ListenAddress.Inet listener) throws ActivationException {
        try {
            return UnacceptedConnections.on(Set.of(listener.port()));
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read the queued connections from /proc/net/tcp: " + e, e);
        }
    }

    private static String pids(List<ProcessHandle> processes) {
        return processes.stream().map(p -> "pid " + p.pid()).collect(Collectors.joining(", "));
    }
}
