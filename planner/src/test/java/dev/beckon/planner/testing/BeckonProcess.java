package dev.beckon.planner.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The command users run, {@code bin/beckon} (the built jar and its {@code lib/}), as a process of its own, for
 * end-to-end tests. It is found by walking up from the working directory to the checkout's {@code bin/beckon};
 * {@code -Dbeckon.command=PATH} names another one, such as an unpacked release. The jar exists only after
 * {@code package}, so tests that use this run under failsafe ({@code *IT}).
 */
public final class BeckonProcess {
    private static final long TIMEOUT_SECONDS = 300;

    /** What one run printed and returned. */
    public record Run(int exitCode, String out, String err) {
        /** Both streams, for assertion messages. */
        public String output() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Map<String, String> environment;

    private BeckonProcess(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** bin/beckon with this environment added to the test's own. */
    public static BeckonProcess withEnvironment(Map<String, String> environment) {
        return new BeckonProcess(environment);
    }

    /** This one with {@code name=value} added to its environment. */
    public BeckonProcess and(String name, String value) {
        Map<String, String> more = new HashMap<>(environment);
        more.put(name, value);
        return new BeckonProcess(more);
    }

    /** The command that is run: {@code -Dbeckon.command}, or the checkout's {@code bin/beckon}. */
    public static Path command() {
        String named = System.getProperty("beckon.command");
        if (named != null && !named.isBlank()) {
            return Path.of(named).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("bin").resolve("beckon");
            if (Files.isExecutable(candidate) && Files.isDirectory(dir.resolve("planner"))) {
                if (!Files.isRegularFile(dir.resolve("planner/target/beckon.jar"))) {
                    throw new IllegalStateException(dir.resolve("planner/target/beckon.jar")
                            + " is not built: end-to-end tests run after package (mvn verify)");
                }
                return candidate;
            }
        }
        throw new IllegalStateException("no bin/beckon above " + Path.of("").toAbsolutePath() + "; name one with -Dbeckon.command");
    }

    /** A process builder for {@code bin/beckon ARGS}, with this environment and no input, not started. */
    public ProcessBuilder builder(List<String> args) {
        List<String> words = new ArrayList<>();
        words.add(command().toString());
        words.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(words);
        builder.environment().putAll(environment);
        builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        return builder;
    }

    /**
     * Starts {@code bin/beckon ARGS} stopping at a step boundary ({@code BECKON_TEST_PAUSE_AT}) and returns once it
     * has paused there, holding whatever it holds at that boundary; its standard output goes to {@code output}. One
     * that does not pause within 90 s is killed, and the failure shows what it printed.
     */
    public static Process pausedAt(int boundary, List<String> args, Path output) throws IOException, InterruptedException {
        ProcessBuilder builder = withEnvironment(Map.of("BECKON_TEST_PAUSE_AT", String.valueOf(boundary))).builder(args);
        builder.redirectOutput(output.toFile());
        Process process = builder.start();
        CompletableFuture<String> paused = CompletableFuture.supplyAsync(() -> {
            StringBuilder seen = new StringBuilder();
            try (java.io.BufferedReader err = new java.io.BufferedReader(
                    new java.io.InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    seen.append(line).append('\n');
                    if (line.startsWith("beckon: paused at step boundary " + boundary + " ")) {
                        return "paused";
                    }
                }
            } catch (IOException e) {
                seen.append(e);
            }
            return seen.toString();
        });
        String outcome;
        try {
            outcome = paused.get(90, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            outcome = String.valueOf(e);
        }
        if (!outcome.equals("paused")) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("the deployer did not pause at boundary " + boundary + "; its output:\n"
                    + Files.readString(output) + outcome);
        }
        return process;
    }

    /** Runs {@code bin/beckon ARGS}, with the test's own environment, to its end and captures what it printed. */
    public static Run beckon(String... args) {
        return withEnvironment(Map.of()).run(args);
    }

    /** Runs {@code bin/beckon ARGS} to its end and captures what it printed. */
    public Run run(String... args) {
        return run(List.of(args));
    }

    /** Runs {@code bin/beckon ARGS} to its end and captures what it printed. */
    public Run run(List<String> args) {
        try {
            Process process = builder(args).start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
                throw new AssertionError("beckon " + String.join(" ", args) + " did not end within " + TIMEOUT_SECONDS
                        + " s; it printed:\n" + out.getNow("") + err.getNow(""));
            }
            return new Run(process.exitValue(), out.get(), err.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while beckon ran", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    private static String read(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
