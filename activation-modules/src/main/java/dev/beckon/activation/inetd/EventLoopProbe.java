package dev.beckon.activation.inetd;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Tells when a daemon has handled a signal, from what the kernel shows of it: the signal is no longer
 * pending for the process or any of its threads, and every thread is blocked again in the very system
 * call it waits for work in (its event loop's {@code epoll_wait}, {@code select} or {@code poll}: the
 * same system call number; not its arguments, since {@code select}'s first one grows with a new socket). inetd and xinetd turn SIGHUP into an event of their loop and reread their
 * configuration before they wait again, so both together mean the reread is done: no timer involved.
 *
 * <p>Reading {@code /proc/PID/task/TID/syscall} needs the rights to trace the daemon, which whoever
 * may signal it (its own user, or root) has; when it cannot be read, {@link #idleCalls} is empty and
 * the caller falls back to waiting a moment.
 */
final class EventLoopProbe {
    private static final Duration POLL = Duration.ofMillis(2);

    private EventLoopProbe() {}

    /**
     * Each thread's blocking system call, as its number by thread id, when every thread is
     * blocked in a system call; empty when one runs, is not in a system call, or cannot be looked at.
     */
    static Optional<Map<String, String>> idleCalls(long pid) {
        Map<String, String> calls = new TreeMap<>();
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path thread : threads) {
                String[] fields = Files.readString(thread.resolve("syscall")).trim().split(" ");
                // "running", or "-1 SP PC" for a thread blocked outside a system call.
                if (fields.length < 3 || fields[0].equals("running") || fields[0].equals("-1")) {
                    return Optional.empty();
                }
                calls.put(thread.getFileName().toString(), fields[0]);
            }
        } catch (IOException | RuntimeException cannotLook) {
            return Optional.empty();
        }
        return calls.isEmpty() ? Optional.empty() : Optional.of(calls);
    }

    /** Waits, at most {@code limit}, until the daemon waits for work in a blocking call; empty if it does not or cannot be seen. */
    static Optional<Map<String, String>> awaitIdle(long pid, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<Map<String, String>> calls = idleCalls(pid);
            if (calls.isPresent() || System.nanoTime() - deadline > 0) {
                return calls;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /**
     * Waits, at most {@code limit}, until the daemon has handled {@code signal}: not pending anywhere, and
     * every thread back in the call {@code idleBefore} saw it wait in.
     *
     * @return whether it was seen handled in time
     */
    static boolean awaitHandled(long pid, int signal, Map<String, String> idleBefore, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (!pending(pid, signal) && idleCalls(pid).filter(idleBefore::equals).isPresent() && !pending(pid, signal)) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Whether the signal waits to be delivered to the process or to one of its threads. */
    static boolean pending(long pid, int signal) {
        long bit = 1L << (signal - 1);
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path thread : threads) {
                for (String line : Files.readAllLines(thread.resolve("status"))) {
                    if ((line.startsWith("SigPnd:") || line.startsWith("ShdPnd:"))
                            && (Long.parseUnsignedLong(line.substring(7).trim(), 16) & bit) != 0) {
                        return true;
                    }
                }
            }
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException | RuntimeException cannotLook) {
            return true;
        }
        return false;
    }
}
