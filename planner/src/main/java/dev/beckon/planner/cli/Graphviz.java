package dev.beckon.planner.cli;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Graphviz's {@code dot}, run as a filter from DOT text to a drawing. */
final class Graphviz {
    /** Long enough for any graph a deployment has; a hung {@code dot} must not hang beckon. */
    private static final long TIMEOUT_SECONDS = 120;

    private Graphviz() {}

    /** The {@code dot} executable on a search path like {@code $PATH}, if there is one. */
    static Optional<Path> findDot(String searchPath) {
        if (searchPath == null) {
            return Optional.empty();
        }
        for (String directory : searchPath.split(File.pathSeparator)) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, "dot");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code dot -TFORMAT} with {@code graph} on its standard input.
     *
     * @throws IOException when dot cannot be started, fails, or takes too long; the message says which
     */
    static String render(Path dot, String format, String graph) throws IOException {
        Process process = new ProcessBuilder(dot.toString(), "-T" + format).start();
        // Each stream on a thread of its own: dot may fill one pipe before it has read all of its input.
        CompletableFuture<Void> input = CompletableFuture.runAsync(() -> {
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(graph.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, Graphviz::onNewThread);
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()), Graphviz::onNewThread);
        CompletableFuture<byte[]> errors = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()), Graphviz::onNewThread);
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(dot + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            String stderr = new String(errors.get(), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new IOException(dot + " -T" + format + " failed with exit code " + process.exitValue()
                        + (stderr.isEmpty() ? "" : ": " + stderr.lines().findFirst().orElse("")));
            }
            input.get();
            return new String(output.get(), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + dot + " ran", e);
        } catch (ExecutionException e) {
            throw new IOException("cannot talk to " + dot + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Not the common pool: on a machine with few cores it runs tasks one after another, and these block. */
    private static void onNewThread(Runnable task) {
        Thread thread = new Thread(task, "graphviz-io");
        thread.setDaemon(true);
        thread.start();
    }

    private static byte[] readAll(InputStream stream) {
        try (stream; ByteArrayOutputStream bytes = new ByteArrayOutputStream()) {
            stream.transferTo(bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
