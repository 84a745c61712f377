package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The listening sockets an inetd or xinetd daemon holds, as the kernel reports them: what makes an
 * activation verified (the daemon itself listens on the instance's address), what a removal waits
 * for, and who holds an address the daemon could not take.
 */
final class DaemonListeners {
    /** How long the daemon may take to open or close a socket after SIGHUP. */
    static final Duration LISTEN_LIMIT = Duration.ofSeconds(10);
    static final Duration POLL = Duration.ofMillis(20);

    private final String target;
    private final String daemonName;

    DaemonListeners(String target, String daemonName) {
        this.target = target;
        this.daemonName = daemonName;
    }

    /**
     * Activated means: the launcher is there and executable, and the daemon itself holds a listening
     * socket on the instance's address (a socket some other program holds does not count).
     *
     * @param entryWritten whether the daemon was just told to read a new entry, so may need a moment
     */
    void verifyListening(ServiceInstance instance, Daemon daemon, boolean entryWritten, String entryDescription) throws ActivationException {
        Path launcher = Launcher.path(instance);
        if (!Files.isRegularFile(launcher) || !Files.isExecutable(launcher)) {
            throw new ActivationException(instance.id(), "its launcher " + launcher + " is not an executable file");
        }
        ListenAddress.Inet listener = SuperServerInstances.listener(instance, daemonName);
        if (awaitListening(instance, daemon, listener, entryWritten ? LISTEN_LIMIT : Duration.ZERO)) {
            return;
        }
        if (!entryWritten) {
            // The entry was already there and the daemon does not serve it: it may never have read it.
            daemon.reload(instance.id());
            if (awaitListening(instance, daemon, listener, LISTEN_LIMIT)) {
                return;
            }
        }
        throw notListening(instance, daemon, listener, entryDescription);
    }

    private boolean awaitListening(ServiceInstance instance, Daemon daemon, ListenAddress.Inet listener, Duration limit)
            throws ActivationException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (!listening(daemon, listener).isEmpty()) {
                return true;
            }
            if (!ProcessHandle.of(daemon.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                throw new ActivationException(instance.id(), daemon + " exited after it was told to reload", SuperServerInstances.logTail(instance), null);
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
    }

    boolean awaitClosed(Daemon daemon, ListenAddress.Inet listener) throws ActivationException {
        long deadline = System.nanoTime() + LISTEN_LIMIT.toNanos();
        while (!listening(daemon, listener).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
        return true;
    }

    List<TcpListeners.Listener> listening(Daemon daemon, ListenAddress.Inet listener) throws ActivationException {
        try {
            return TcpListeners.heldBy(TcpListeners.on(listener), daemon.socketInodes());
        } catch (IOException | RuntimeException e) {
            throw new ActivationException(target, "cannot read the listening sockets from /proc/net/tcp: " + e, e);
        }
    }

    private ActivationException notListening(ServiceInstance instance, Daemon daemon, ListenAddress.Inet listener,
            String entryDescription) {
        String holders = "";
        try {
            List<TcpListeners.Listener> taken = TcpListeners.on(listener);
            if (!taken.isEmpty()) {
                holders = "; " + listener + " is taken by another program" + holdersOf(taken);
            }
        } catch (IOException e) {
            holders = "";
        }
        return new ActivationException(instance.id(), daemon + " does not listen on " + listener + " " + LISTEN_LIMIT.toSeconds()
                + " s after reading " + entryDescription + holders + "; " + daemonName
                + " skips an entry it cannot use (a port in use, an unknown user) and says why in its own log or syslog",
                SuperServerInstances.logTail(instance), null);
    }

    /** Which processes hold these sockets, as {@code (pid 12 nginx)}: found by inode in every process's fds. */
    private static String holdersOf(List<TcpListeners.Listener> sockets) {
        Set<Long> inodes = sockets.stream().map(TcpListeners.Listener::inode).collect(Collectors.toSet());
        Set<String> holders = new TreeSet<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                long pid = Long.parseLong(process.getFileName().toString());
                if (Daemon.socketInodes(pid).stream().anyMatch(inodes::contains)) {
                    String name;
                    try {
                        name = Files.readString(process.resolve("comm")).strip();
                    } catch (IOException gone) {
                        name = "?";
                    }
                    holders.add("pid " + pid + " " + Messages.printable(name));
                }
            }
        } catch (IOException e) {
            return "";
        }
        return holders.isEmpty() ? "" : " (" + String.join(", ", holders) + ")";
    }

    void sleep(Duration duration) throws ActivationException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(target, "interrupted while waiting for " + daemonName, e);
        }
    }
}
