package dev.beckon.activation.systemd;

import static dev.beckon.activation.systemd.UnitNames.isTemplate;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a failed activation reports: the message with the journal's lines of the unit's last start
 * (and of the service a failed socket is about). Reads only; changes nothing on the manager.
 */
final class UnitFailureReport {
    private static final int LOG_LINES = 20;

    private final SystemdBus bus;
    private final Optional<Path> journalDirectory;

    UnitFailureReport(SystemdBus bus, Optional<Path> journalDirectory) {
        this.bus = bus;
        this.journalDirectory = journalDirectory;
    }

    /**
     * The text of a unit's {@code LoadError}, a D-Bus struct of an error name and a message: the message,
     * or the name when systemd gave none.
     */
    static String loadError(Object error) {
        Object[] fields = error instanceof Object[] array ? array
                : error instanceof org.freedesktop.dbus.Struct struct ? struct.getParameters() : new Object[] {error};
        List<String> parts = java.util.Arrays.stream(fields).map(String::valueOf).filter(f -> !f.isEmpty()).toList();
        String text = parts.isEmpty() ? "no reason given" : parts.get(parts.size() - 1);
        return Messages.printable(text);
    }

    ActivationException failure(ServiceInstance instance, String unit, String message, Throwable cause) {
        List<String> tail = logTail(unit);
        // journald takes the service's output from a stream asynchronously; on this failure path only,
        // give it a moment to arrive rather than report a failure without its reason.
        for (int attempt = 0; attempt < 20 && tail.stream().noneMatch(l -> !l.contains(" systemd[")); attempt++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            tail = logTail(unit);
        }
        return new ActivationException(instance.id(), message, withServiceLines(instance, unit, tail), cause);
    }

    /** The lines of a failed unit's last start, as a failure report shows them; without waiting for late ones (for status). */
    List<String> failedRunLines(ServiceInstance instance, String unit) {
        return withServiceLines(instance, unit, logTail(unit));
    }

    private List<String> withServiceLines(ServiceInstance instance, String unit, List<String> tail) {
        UnitNames names = UnitNames.of(instance);
        if ((unit.endsWith(".socket") || tail.isEmpty()) && !unit.equals(names.service())
                && lastStart(names.service()).sinceMicros() >= lastStart(unit).sinceMicros()) {
            // The service's start that the socket's failure is about; an older run of it is not this failure's.
            Set<String> lines = new LinkedHashSet<>(tail);
            lines.addAll(logTail(names.service()));
            return List.copyOf(lines);
        }
        return tail;
    }

    /**
     * The lines of a unit's last start, read with journalctl (the journal has no D-Bus interface):
     * those its processes logged in that invocation ({@code _SYSTEMD_INVOCATION_ID}), the manager's
     * lines about it ({@code INVOCATION_ID}, {@code USER_INVOCATION_ID}), and those of its main
     * process that journald could not tie to the unit because the process had exited by the time it
     * read them ({@code _PID}, since that start, so no older process of the same pid); none older than
     * the start, each once. Without an invocation id (a unit never started) the unit's last lines.
     * Empty when there is no journal to read.
     */
    List<String> logTail(String unit) {
        List<String> command = new ArrayList<>(List.of("journalctl", "--no-pager", "--quiet", "-o", "short-iso", "-n",
                String.valueOf(LOG_LINES)));
        journalDirectory.ifPresent(d -> command.add("--directory=" + d));
        LastStart start = lastStart(unit);
        if (start.invocation().isEmpty()) {
            command.addAll(List.of("_SYSTEMD_UNIT=" + unit, "+", "UNIT=" + unit, "+", "_SYSTEMD_USER_UNIT=" + unit, "+",
                    "USER_UNIT=" + unit));
        } else {
            if (start.sinceMicros() > 0) {
                command.add("--since=@" + start.sinceMicros() / 1_000_000);
            }
            String id = start.invocation();
            command.addAll(List.of("_SYSTEMD_INVOCATION_ID=" + id, "+", "INVOCATION_ID=" + id, "+", "USER_INVOCATION_ID=" + id));
            if (start.mainPid() > 0) {
                command.addAll(List.of("+", "_PID=" + start.mainPid()));
            }
        }
        try {
            Process journalctl = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            String output = new String(journalctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!journalctl.waitFor(10, TimeUnit.SECONDS) || journalctl.exitValue() != 0) {
                journalctl.destroyForcibly();
                return List.of();
            }
            return output.lines().filter(l -> !l.startsWith("-- ")).distinct().toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** A unit's last invocation: its id in hex (empty: none), when it began (µs since the epoch), its main pid (0: none). */
    private record LastStart(String invocation, long sinceMicros, long mainPid) {}

    private LastStart lastStart(String unit) {
        try {
            Object id = bus.property(unit, "org.freedesktop.systemd1.Unit", "InvocationID");
            StringBuilder hex = new StringBuilder();
            if (id instanceof byte[] bytes) {
                for (byte b : bytes) {
                    hex.append(String.format("%02x", b & 0xff));
                }
            } else if (id instanceof List<?> bytes) {
                for (Object b : bytes) {
                    hex.append(String.format("%02x", ((Number) b).intValue() & 0xff));
                }
            }
            long since = ((Number) bus.property(unit, "org.freedesktop.systemd1.Unit", "InactiveExitTimestamp")).longValue();
            long pid = unit.endsWith(".service") && !isTemplate(unit)
                    ? ((Number) bus.property(unit, "org.freedesktop.systemd1.Service", "ExecMainPID")).longValue() : 0;
            return new LastStart(hex.toString(), since, pid);
        } catch (SystemdCallException | RuntimeException e) {
            // No invocation to narrow the lines to: the unit's own lines, as before.
            return new LastStart("", 0, 0);
        }
    }
}
