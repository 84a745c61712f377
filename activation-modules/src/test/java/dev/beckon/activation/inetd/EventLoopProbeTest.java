package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real process with an event loop as inetd's: SIGHUP turned into an event of the loop, whose
 * work (here: a slow write of a file) is done before the loop waits again.
 */
class EventLoopProbeTest {
    private static final String LOOP = """
            import os, select, signal, sys, time
            done = sys.argv[1]
            reader, writer = os.pipe()
            signal.signal(signal.SIGHUP, lambda *_: os.write(writer, b"x"))
            open(done + ".started", "w").close()
            while True:
                ready, _, _ = select.select([reader], [], [])
                os.read(reader, 1)
                time.sleep(0.3)
                with open(done, "a") as f:
                    f.write("reread\\n")
            """;

    @TempDir
    Path dir;

    @Test
    void aSignalIsHandledOnlyOnceTheLoopDidItsWorkAndWaitsAgain() throws Exception {
        Path done = dir.resolve("done");
        Process loop = new ProcessBuilder("python3", "-c", LOOP, done.toString()).inheritIO().start();
        try {
            while (!Files.exists(Path.of(done + ".started"))) {
                Thread.sleep(10);
            }
            Map<String, String> waiting = EventLoopProbe.awaitIdle(loop.pid(), Duration.ofSeconds(30)).orElseThrow();
            for (int reread = 1; reread <= 3; reread++) {
                new ProcessBuilder("kill", "-HUP", Long.toString(loop.pid())).start().waitFor();
                assertTrue(EventLoopProbe.awaitHandled(loop.pid(), 1, waiting, Duration.ofSeconds(60)), "seen handled");
                // The guarantee: once seen handled, the work the signal asked for is done.
                assertTrue(Files.exists(done) && Files.readAllLines(done).size() == reread,
                        "the loop's work for signal " + reread + " is done");
            }
        } finally {
            loop.destroyForcibly().waitFor();
        }
    }
}
