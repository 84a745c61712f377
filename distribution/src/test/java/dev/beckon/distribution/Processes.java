package dev.beckon.distribution;

import dev.beckon.sandbox.CommandResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a program of the machine to its end, for the package tests. */
final class Processes {
    private Processes() {}

    /** Generous: the machine may be loaded; a program that takes longer is hanging. */
    private static final long LIMIT_SECONDS = 300;

    static CommandResult run(Path directory, Map<String, String> environment, List<String> command) throws IOException,
            InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().putAll(environment);
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not end within " + LIMIT_SECONDS + " s");
        }
        return new CommandResult(process.exitValue(), out.join(), err.join());
    }

    static CommandResult run(Path directory, List<String> command) throws IOException, InterruptedException {
        return run(directory, Map.of(), command);
    }

    /** Runs it and fails the test, with everything it printed, unless it exits 0. */
    static CommandResult succeed(Path directory, List<String> command) throws IOException, InterruptedException {
        CommandResult result = run(directory, command);
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.exitCode() + ":\n" + result);
        }
        return result;
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
