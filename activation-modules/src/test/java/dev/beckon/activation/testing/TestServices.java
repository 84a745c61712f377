package dev.beckon.activation.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Command lines and clients for the test services, which run as real processes. */
public final class TestServices {
    private TestServices() {}

    /** The argv that runs a test service's main class with this JVM's java. */
    public static List<String> javaCommand(Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", classesOf(main).toString(), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static Path classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A port free on 127.0.0.1 right now, never handed out twice ({@link dev.beckon.sandbox.FreePorts}). */
    public static int freePort() throws IOException {
        return dev.beckon.sandbox.FreePorts.onLoopback();
    }

    /** Connects to 127.0.0.1:port and returns the one line the service sends, without its newline. */
    public static String greeting(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(30_000);
            String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        }
    }

    /** The text of a greeting before " pid=". */
    public static String text(String greeting) {
        int pid = greeting.lastIndexOf(" pid=");
        return pid < 0 ? greeting : greeting.substring(0, pid);
    }

    /** The pid that sent a greeting. */
    public static long pid(String greeting) {
        return Long.parseLong(greeting.substring(greeting.lastIndexOf(" pid=") + 5));
    }

    /** Waits until no process with that pid runs, up to the limit; returns whether it is gone. */
    public static boolean awaitExit(long pid, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
