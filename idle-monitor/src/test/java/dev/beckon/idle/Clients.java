package dev.beckon.idle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Clients of the echo service, on 127.0.0.1 only. */
final class Clients {
    private Clients() {}

    /** A port free on 127.0.0.1 right now, never handed out twice ({@link dev.beckon.sandbox.FreePorts}). */
    static int freePort() throws IOException {
        return dev.beckon.sandbox.FreePorts.onLoopback();
    }

    /** Sends one line, returns the one line answered (without its newline); waits at most {@code limit} for it. */
    static String ask(int port, String line, Duration limit) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout((int) limit.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (answer == null) {
                throw new IOException("the service closed the connection without answering " + line);
            }
            return answer;
        }
    }

    static String ask(int port, String line) throws IOException {
        return ask(port, line, Duration.ofSeconds(30));
    }

    /**
     * {@link #ask(int, String)} once something listens on the port: a daemon that was just started
     * (systemd-socket-activate, xinetd) binds in its own time, and connecting before that is refused.
     */
    static String askOnceListening(int port, String line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return ask(port, line);
            } catch (java.net.ConnectException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(20);
            }
        }
    }

    /** The pid in an answer ({@code ... pid=PID ...}). */
    static long pid(String answer) {
        int at = answer.indexOf("pid=") + 4;
        int end = answer.indexOf(' ', at);
        return Long.parseLong(end < 0 ? answer.substring(at) : answer.substring(at, end));
    }

    /** Whether the process is gone within the limit. */
    static boolean awaitExit(long pid, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** SIGKILLs a process if it still runs, for cleanup. */
    static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(process -> {
            process.destroyForcibly();
            process.onExit().join();
        });
    }
}
