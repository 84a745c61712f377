package dev.beckon.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child process timed from just before it is started to its exit, with each line of its output
 * (standard error merged in) stamped with when it arrived, so that a command's own progress lines
 * split its time into phases.
 */
final class Command {
    /** A line of output and when it arrived, in milliseconds since the start. */
    record Line(double millis, String text) {}

    /** A finished command; {@code timedOut}: stopped at its limit, the exit code is then meaningless. */
    record Result(List<String> command, int exitCode, boolean timedOut, double millis, List<Line> lines) {
        String output() {
            StringBuilder text = new StringBuilder();
            lines.forEach(line -> text.append(line.text()).append('\n'));
            return text.toString();
        }

        /** When the first line starting with {@code prefix} (after leading spaces) arrived. */
        Optional<Double> arrival(String prefix) {
            return lines.stream().filter(l -> l.text().stripLeading().startsWith(prefix)).map(Line::millis).findFirst();
        }

        /** When the last line starting with {@code prefix} (after leading spaces) arrived. */
        Optional<Double> lastArrival(String prefix) {
            return lines.stream().filter(l -> l.text().stripLeading().startsWith(prefix)).map(Line::millis)
                    .reduce((first, second) -> second);
        }

        Result requireSuccess() {
            if (timedOut || exitCode != 0) {
                throw new IllegalStateException(String.join(" ", command) + (timedOut ? " timed out" : " exited with " + exitCode)
                        + ":\n" + tail(output(), 40));
            }
            return this;
        }
    }

    private Command() {}

    /**
     * Runs {@code command} with the environment changed by {@code environment} (a null value removes a
     * variable); stops it after {@code limit}.
     */
    static Result run(List<String> command, Map<String, String> environment, Duration limit) throws IOException {
        return run(command, environment, limit, process -> {});
    }

    /** As {@link #run(List, Map, Duration)}, telling {@code started} about the process as soon as it runs, for sampling it. */
    static Result run(List<String> command, Map<String, String> environment, Duration limit, Consumer<ProcessHandle> started)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        environment.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        List<Line> lines = new ArrayList<>();
        long began = System.nanoTime();
        Process process = builder.start();
        started.accept(process.toHandle());
        Thread watchdog = new Thread(() -> {
            try {
                if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "watchdog " + command.get(0));
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String text;
            while ((text = out.readLine()) != null) {
                lines.add(new Line((System.nanoTime() - began) / 1e6, text));
            }
        }
        int exitCode;
        try {
            exitCode = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
        double millis = (System.nanoTime() - began) / 1e6;
        watchdog.interrupt();
        boolean timedOut = millis >= limit.toMillis();
        return new Result(List.copyOf(command), exitCode, timedOut, millis, lines);
    }

    static String tail(String text, int count) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - count), all.size()));
    }
}
