package dev.beckon.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Finding, signalling and reaping processes by pid, through /proc. */
final class Processes {
    private Processes() {}

    /** The mount namespace of a process, as {@code mnt:[4026532213]}, or empty when it is gone. */
    static Optional<String> mountNamespace(long pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "mnt")).toString());
        } catch (IOException | UnsupportedOperationException gone) {
            return Optional.empty();
        }
    }

    /** Every live process in the given mount namespace. */
    static Set<Long> inMountNamespace(String namespace) {
        Set<Long> pids = new TreeSet<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path entry : proc) {
                long pid = Long.parseLong(entry.getFileName().toString());
                if (mountNamespace(pid).filter(namespace::equals).isPresent()) {
                    pids.add(pid);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e, e);
        }
        return pids;
    }

    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Sends a signal by name ({@code HUP}, {@code TERM}) through kill(1): the JDK only sends TERM and KILL. */
    static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes()).trim();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + pid, e);
        }
    }

    /** Waits until none of the pids is alive, or the time is up; returns those still alive. */
    static List<Long> awaitExit(Set<Long> pids, Duration limit) {
        Instant deadline = Instant.now().plus(limit);
        List<Long> alive = new ArrayList<>(pids);
        while (true) {
            alive.removeIf(pid -> !isAlive(pid));
            if (alive.isEmpty() || Instant.now().isAfter(deadline)) {
                return alive;
            }
            sleep(Duration.ofMillis(20));
        }
    }

    /** SIGKILLs every pid still alive and waits for them to go. */
    static void killAll(Set<Long> pids) {
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        List<Long> survivors = awaitExit(pids, Duration.ofSeconds(10));
        if (!survivors.isEmpty()) {
            throw new IllegalStateException("processes " + survivors + " survived SIGKILL for 10 s");
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The last lines of a log file, for error messages. */
    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
