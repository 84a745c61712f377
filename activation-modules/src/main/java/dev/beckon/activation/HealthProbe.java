package dev.beckon.activation;

import dev.beckon.models.HealthProbes;
import dev.beckon.models.HealthCheck;
import dev.beckon.models.Messages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One attempt of a declared health check, run where the instance runs (modules run on the target, an
 * SSH target's agent too): a TCP connection that opens, an HTTP answer with a 2xx status, or a program
 * that exits 0, each within the check's timeout.
 */
public final class HealthProbe {
    /** What of a probe's output is kept for messages and status. */
    private static final int OUTPUT_CHARS = 300;

    private HealthProbe() {}

    /**
     * How one attempt went.
     *
     * @param output what it said, printable and short: the status line, the program's last output, or why it failed
     */
    public record Result(boolean passed, String output) {}

    public static Result run(InstanceReadiness.Health health) throws InterruptedException {
        return switch (health.kind()) {
            case TCP -> tcp(health.probe().get(0), health.timeout());
            case HTTP -> http(health.probe().get(0), health.timeout());
            case EXEC -> exec(health.probe(), health.timeout());
        };
    }

    /** The check as a user would recognise it: {@code http http://127.0.0.1:8080/health}. */
    public static String describe(InstanceReadiness.Health health) {
        return health.kind().modelName() + " " + Messages.printable(String.join(" ", health.probe()));
    }

    private static Result tcp(String probe, Duration timeout) {
        Optional<String> problem = HealthProbes.tcpProblem(probe);
        if (problem.isPresent()) {
            return new Result(false, Messages.quote(probe) + " " + problem.get());
        }
        int colon = probe.lastIndexOf(':');
        String host = probe.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(probe.substring(colon + 1));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis(timeout));
            return new Result(true, "connected to " + probe);
        } catch (IOException e) {
            return new Result(false, "cannot connect to " + probe + ": " + Messages.printable(String.valueOf(e.getMessage())));
        }
    }

    private static Result http(String probe, Duration timeout) {
        Optional<String> problem = HealthProbes.httpProblem(probe);
        if (problem.isPresent()) {
            return new Result(false, Messages.quote(probe) + " " + problem.get());
        }
        HttpURLConnection connection = null;
        try {
            connection = (HttpURLConnection) URI.create(probe).toURL().openConnection();
            connection.setConnectTimeout(timeoutMillis(timeout));
            connection.setReadTimeout(timeoutMillis(timeout));
            connection.setInstanceFollowRedirects(false);
            connection.setUseCaches(false);
            int status = connection.getResponseCode();
            InputStream body = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String text = body == null ? "" : firstChars(body);
            String output = "HTTP " + status + (text.isBlank() ? "" : ": " + text);
            return new Result(status >= 200 && status < 300, shorten(output));
        } catch (IOException | IllegalArgumentException e) {
            return new Result(false, "GET " + probe + " failed: " + Messages.printable(String.valueOf(e.getMessage())));
        } finally {
            if (connection != null) {
                connection.disconnect();
            }
        }
    }

    private static Result exec(List<String> command, Duration timeout) throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of("/").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).redirectErrorStream(true);
        // Meant for beckon (or for the service manager that started it), not for a check.
        builder.environment().keySet().removeIf(name -> name.startsWith("LISTEN_") || name.equals("NOTIFY_SOCKET"));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Result(false, "cannot run " + Messages.printable(command.get(0)) + ": " + Messages.printable(String.valueOf(e.getMessage())));
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
            } catch (IOException closed) {
                // What came is kept.
            }
        }, "health-check-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new Result(false, Messages.printable(command.get(0)) + " did not finish within " + dev.beckon.models.Durations.format(timeout)
                        + lastLine(output));
            }
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw e;
        }
        reader.join(1000);
        int exit = process.exitValue();
        return new Result(exit == 0, "exit code " + exit + lastLine(output));
    }

    private static String lastLine(ByteArrayOutputStream output) {
        String text;
        synchronized (output) {
            text = output.toString(StandardCharsets.UTF_8).strip();
        }
        if (text.isEmpty()) {
            return "";
        }
        String last = text.substring(text.lastIndexOf('\n') + 1);
        return ": " + shorten(Messages.printable(last));
    }

    private static String firstChars(InputStream body) throws IOException {
        try (body) {
            byte[] bytes = body.readNBytes(OUTPUT_CHARS);
            String text = new String(bytes, StandardCharsets.UTF_8).strip();
            int newline = text.indexOf('\n');
            return Messages.printable(newline < 0 ? text : text.substring(0, newline));
        }
    }

    private static String shorten(String text) {
        return text.length() <= OUTPUT_CHARS ? text : text.substring(0, OUTPUT_CHARS) + "...";
    }

    private static int timeoutMillis(Duration timeout) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }
}
