package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a launcher's log for beckon logs: the last lines, what came after an offset, across a rotation. */
class LogFilesTest {
    @TempDir
    Path dir;

    private ServiceInstance instance() {
        return new ServiceInstance("test", "web", "local", "inetd", "", List.of("/bin/true"), new TreeMap<>(), new TreeMap<>(),
                Optional.empty(), Optional.empty(), dir.resolve("instance"), new TreeMap<>(), dir);
    }

    @Test
    void lastLinesThenWhatFollowsThenFromTheStartOfARotatedLog() throws Exception {
        Path log = dir.resolve("web.log");
        InstanceLog missing = LogFiles.read(instance(), log, 10, Optional.empty());
        assertEquals(List.of(), missing.lines());
        assertTrue(missing.note().contains("is not there"), missing.note());

        Files.writeString(log, "one\ntwo\nthree\nhalf a li");
        InstanceLog last = LogFiles.read(instance(), log, 2, Optional.empty());
        assertEquals(List.of("two", "three"), last.lines(), "a line still being written waits");
        Files.writeString(log, "ne\nfour\u001b[2J\n", StandardOpenOption.APPEND);
        InstanceLog next = LogFiles.read(instance(), log, 100, Optional.of(last.position()));
        assertEquals(List.of("half a line", "four\\u001b[2J"), next.lines(), "what follows, printable");
        assertEquals(List.of(), LogFiles.read(instance(), log, 100, Optional.of(next.position())).lines());

        Files.writeString(log, "after rotation\n");
        assertEquals(List.of("after rotation"), LogFiles.read(instance(), log, 100, Optional.of(next.position())).lines(),
                "shorter than the offset: rotated, read from its start");
        assertThrows(ActivationException.class, () -> LogFiles.read(instance(), log, 10, Optional.of("elsewhere")));
        Path link = dir.resolve("link.log");
        Files.createSymbolicLink(link, log);
        assertThrows(ActivationException.class, () -> LogFiles.read(instance(), link, 10, Optional.empty()), "never through a link");
    }
}
