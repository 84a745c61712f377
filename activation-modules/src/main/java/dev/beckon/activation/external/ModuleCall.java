package dev.beckon.activation.external;

import dev.beckon.models.Messages;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.Launcher;
import dev.beckon.models.Durations;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One call of an external module, {@code MODULE OPERATION INSTANCE_DIR}: its variables set, standard
 * input empty, what it prints on standard error passed on line by line as it comes, and the last lines
 * kept for the error message when it fails.
 */
final class ModuleCall {
    static final int TAIL_LINES = 20;
    /** Standard output beyond this is not kept: a query answer is a few lines. */
    private static final int MAX_ANSWER_CHARS = 64 * 1024;
    /** How long to wait for the output pipes to close after the module exited. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(2);

    private ModuleCall() {}

    /**
     * What a call printed and how it ended.
     *
     * @param answer standard output, for a call that asked for it; empty otherwise (it was passed on with the rest)
     * @param tail the last lines it wrote to standard error (and output, when not an answer), printable
     */
    record Result(int exitCode, String answer, List<String> tail) {}

    /**
     * Runs the module and waits for it.
     *
     * @param wantsAnswer true: standard output is the answer (query); false: it is passed on like standard error
     * @param output where the module's lines go as they come (to the user)
     * @throws ActivationException when it cannot be started or does not finish in time (then it and its
     *     children are killed)
     */
    static Result run(String who, Path executable, String operation, Path instanceDirectory, Map<String, String> variables,
            boolean wantsAnswer, Consumer<String> output, Duration timeout) throws ActivationException {
        ProcessBuilder builder = new ProcessBuilder(executable.toString(), operation, instanceDirectory.toString())
                .directory(Path.of("/").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(!wantsAnswer);
        Map<String, String> environment = builder.environment();
        // A module sees exactly beckon's variables for this call, never stale ones from beckon's own
        // environment, nor socket-activation variables meant for beckon.
        environment.keySet().removeIf(name -> name.startsWith(ModuleEnvironment.PREFIX) || name.startsWith("LISTEN_")
                || name.equals("NOTIFY_SOCKET"));
        environment.putAll(variables);
        String call = executable + " " + operation;
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ActivationException(who, "cannot run the module " + call + ": " + e.getMessage(), e);
        }
        Deque<String> tail = new ArrayDeque<>();
        StringBuilder answer = new StringBuilder();
        Thread messages = reader(wantsAnswer ? process.getErrorStream() : process.getInputStream(), line -> {
            String printable = Messages.printable(line);
            synchronized (tail) {
                tail.addLast(printable);
                if (tail.size() > TAIL_LINES) {
                    tail.removeFirst();
                }
            }
            output.accept(printable);
        });
        Thread answers = wantsAnswer ? reader(process.getInputStream(), line -> {
            synchronized (answer) {
                if (answer.length() < MAX_ANSWER_CHARS) {
                    answer.append(line).append('\n');
                }
            }
        }) : null;
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new ActivationException(who, call + " did not finish within " + Durations.format(timeout) + "; beckon killed it",
                        snapshot(tail), null);
            }
            boolean drained = join(messages) & (answers == null || join(answers));
            if (!drained) {
                String warning = "beckon: " + call + " exited, but a process it started still holds its output; redirect the standard"
                        + " input, output and error of what a module leaves running (</dev/null >>LOG 2>&1)";
                synchronized (tail) {
                    tail.addLast(warning);
                }
                output.accept(warning);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new ActivationException(who, "interrupted while " + call + " ran; beckon killed it", e);
        }
        synchronized (answer) {
            return new Result(process.exitValue(), answer.toString(), snapshot(tail));
        }
    }

    private static Thread reader(InputStream stream, Consumer<String> lines) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.accept(line);
                }
            } catch (IOException closed) {
                // The pipe closed under us: everything that came is passed on.
            }
        }, "external-module-output");
        // A process the module left running may hold the pipe open for ever; it must not keep beckon alive.
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static boolean join(Thread reader) throws InterruptedException {
        reader.join(DRAIN_LIMIT.toMillis());
        return !reader.isAlive();
    }

    private static List<String> snapshot(Deque<String> tail) {
        synchronized (tail) {
            return new ArrayList<>(tail);
        }
    }
}
