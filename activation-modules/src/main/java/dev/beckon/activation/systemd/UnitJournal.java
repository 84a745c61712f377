package dev.beckon.activation.systemd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An instance's journal, for {@code beckon logs}: what its units' processes logged and what the manager said
 * about them, read with journalctl (the journal has no D-Bus interface) from the container's journal directory
 * when it names one. One process per connection: every instance of the template ({@code -u NAME@*}). System
 * and user units both ({@code -u} and {@code --user-unit}), since which one the manager's lines carry depends on
 * how journald sees it. Reads only.
 */
final class UnitJournal {
    private static final String CURSOR = "-- cursor: ";

    private final Optional<Path> journalDirectory;

    UnitJournal(Optional<Path> journalDirectory) {
        this.journalDirectory = journalDirectory;
    }

    InstanceLog read(ServiceInstance instance, int lines, Optional<String> after) throws ActivationException {
        List<String> command = new ArrayList<>(List.of("journalctl", "--no-pager", "--quiet", "-o", "short-iso", "--show-cursor",
                "-n", String.valueOf(lines)));
        journalDirectory.ifPresent(d -> command.add("--directory=" + d));
        after.filter(cursor -> !cursor.isEmpty()).ifPresent(cursor -> command.add("--after-cursor=" + cursor));
        for (String unit : UnitNames.of(instance).files()) {
            String pattern = UnitNames.isTemplate(unit) ? unit.replace("@.service", "@*.service") : unit;
            command.addAll(List.of("--unit=" + pattern, "--user-unit=" + pattern));
        }
        String output;
        try {
            Process journalctl = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            output = new String(journalctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!journalctl.waitFor(30, TimeUnit.SECONDS)) {
                journalctl.destroyForcibly();
                throw new ActivationException(instance.id(), "journalctl did not answer within 30 s");
            }
            if (journalctl.exitValue() != 0) {
                List<String> said = output.lines().map(Messages::printable).toList();
                throw new ActivationException(instance.id(), "cannot read its journal" + journalDirectory.map(d -> " in " + d).orElse("")
                        + ": journalctl exited with " + journalctl.exitValue() + (said.isEmpty() ? "" : ": " + said.get(said.size() - 1)));
            }
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot run journalctl to read its journal: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(instance.id(), "interrupted while reading its journal", e);
        }
        List<String> read = new ArrayList<>();
        String position = after.orElse("");
        for (String line : output.lines().toList()) {
            if (line.startsWith(CURSOR)) {
                position = line.substring(CURSOR.length()).strip();
            } else if (!line.startsWith("-- ")) {
                read.add(Messages.printable(line));
            }
        }
        return new InstanceLog(read, position, read.isEmpty() && position.isEmpty() ? "its journal holds no lines of it yet" : "");
    }
}
