package dev.beckon.activation.testing;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service for escaping tests: writes the argv and environment it was really started with to
 * {@code $RECORD_TO}, each entry ended by a NUL byte (the one byte no argument can hold), then
 * accepts one connection from the socket on standard input, if any, and exits.
 */
public final class ArgvRecorder {
    private ArgvRecorder() {}

    public static void main(String[] args) throws IOException {
        StringBuilder record = new StringBuilder();
        for (String arg : args) {
            record.append("arg:").append(arg).append('\0');
        }
        for (Map.Entry<String, String> variable : new TreeMap<>(System.getenv()).entrySet()) {
            record.append("env:").append(variable.getKey()).append('=').append(variable.getValue()).append('\0');
        }
        Path out = Path.of(System.getenv("RECORD_TO"));
        Path temporary = out.resolveSibling(out.getFileName() + ".tmp");
        Files.write(temporary, record.toString().getBytes(StandardCharsets.UTF_8));
        Files.move(temporary, out);
        if (System.inheritedChannel() instanceof ServerSocketChannel listening) {
            listening.accept().close();
        }
    }

    /** Reads a record back: the arguments, in order. */
    public static java.util.List<String> arguments(Path record) throws IOException {
        return entries(record, "arg:");
    }

    /** Reads a record back: the environment, as NAME=value. */
    public static java.util.List<String> environment(Path record) throws IOException {
        return entries(record, "env:");
    }

    private static java.util.List<String> entries(Path record, String kind) throws IOException {
        String text = Files.readString(record, StandardCharsets.UTF_8);
        return java.util.Arrays.stream(text.split("\0")).filter(e -> e.startsWith(kind)).map(e -> e.substring(kind.length())).toList();
    }
}
