package dev.beckon.planner.target.ssh;

import dev.beckon.models.Durations;
import dev.beckon.models.Messages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The agent's protocol lines, read with bounds a broken or hostile target cannot push past: a line may be at most
 * {@link #MAX_LINE_BYTES} long, and every wait for one has a time limit. A reader thread takes the lines off the
 * stream and holds at most a few, so memory stays bounded however much the agent sends.
 */
final class AgentLines {
    /** Responses are statuses and messages; a line this long is no response. */
    static final int MAX_LINE_BYTES = 4 << 20;
    /** How long a call may take: {@code BECKON_AGENT_TIMEOUT}, a duration such as {@code 10m}. */
    static final String CALL_TIMEOUT_VARIABLE = "BECKON_AGENT_TIMEOUT";
    /** How long starting the agent may take, until its greeting: {@code BECKON_AGENT_GREETING_TIMEOUT}. */
    static final String GREETING_TIMEOUT_VARIABLE = "BECKON_AGENT_GREETING_TIMEOUT";
    /** Activating a service waits for it (systemd allows 90 s a start); a plan's query is quick. */
    static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(10);
    /** Starting a JVM on a loaded machine. */
    static final Duration DEFAULT_GREETING_TIMEOUT = Duration.ofMinutes(3);

    /** What the reader thread found: a line, or why there are no more. */
    private record Read(String line, String end) {}

    private final BlockingQueue<Read> lines = new ArrayBlockingQueue<>(4);
    private volatile boolean ended;

    AgentLines(InputStream in, String target) {
        Thread reader = new Thread(() -> pump(in), "beckon-agent-lines-" + target);
        reader.setDaemon(true);
        reader.start();
    }

    /** The limit a variable of the environment sets, else the default. */
    static Duration limit(Map<String, String> environment, String variable, Duration fallback) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            Duration parsed = Durations.parse(value.strip());
            if (parsed.isZero()) {
                throw new IllegalArgumentException(variable + " must be more than 0");
            }
            return parsed;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(variable + ": " + e.getMessage());
        }
    }

    private void pump(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        try (in) {
            for (int read; (read = in.read(buffer)) > 0; ) {
                int start = 0;
                for (int i = 0; i < read; i++) {
                    if (buffer[i] == '\n') {
                        line.write(buffer, start, i - start);
                        lines.put(new Read(line.toString(StandardCharsets.UTF_8), null));
                        line.reset();
                        start = i + 1;
                    }
                }
                line.write(buffer, start, read - start);
                if (line.size() > MAX_LINE_BYTES) {
                    lines.put(new Read(null, "it sent a line longer than " + (MAX_LINE_BYTES >> 20) + " MiB, which no response is"));
                    return;
                }
            }
            lines.put(new Read(null, "it ended"));
        } catch (IOException e) {
            put(new Read(null, "its output cannot be read: " + Messages.printable(String.valueOf(e.getMessage()))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void put(Read read) {
        try {
            lines.put(read);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The next line, within {@code limit}.
     *
     * @return the line; empty when the time ran out
     * @throws EndedException when the agent ended, or sent what is no line
     */
    Optional<String> next(Duration limit) throws EndedException, InterruptedException {
        if (ended) {
            throw new EndedException("it ended before");
        }
        Read read = lines.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (read == null) {
            return Optional.empty();
        }
        if (read.end() != null) {
            ended = true;
            throw new EndedException(read.end());
        }
        return Optional.of(read.line());
    }

    /** The agent's output has ended, or was cut off for breaking the bounds. */
    static final class EndedException extends Exception {
        private static final long serialVersionUID = 1L;

        EndedException(String why) {
            super(why);
        }
    }
}
