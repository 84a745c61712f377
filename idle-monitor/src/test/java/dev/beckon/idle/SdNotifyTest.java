package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SdNotifyTest {

    @Test
    void notUnderSystemdIsANormalAnswer() throws IOException {
        assertFalse(SdNotify.send(Map.of(), SdNotify.READY));
        assertFalse(SdNotify.send(Map.of("NOTIFY_SOCKET", ""), SdNotify.READY));
        assertFalse(Notifier.forSocket(null).isActive());
    }

    @Test
    void aSocketThatIsGoneIsAnError(@TempDir java.nio.file.Path directory) {
        IOException error = assertThrows(IOException.class,
                () -> SdNotify.send(Map.of("NOTIFY_SOCKET", directory.resolve("gone").toString()), SdNotify.READY));
        assertTrue(error.getMessage().startsWith("cannot send to " + directory.resolve("gone") + ": errno "), error.getMessage());
    }

    @Test
    void pathsAreNulTerminatedAndAbstractNamesStartWithNul() {
        NotifyDatagram.SocketName path = NotifyDatagram.SocketName.parse("/run/n");
        assertEquals(2 + 6 + 1, path.length);
        assertArrayEquals(new byte[] {'/', 'r', 'u', 'n', '/', 'n', 0}, Arrays.copyOfRange(path.sockaddr, 2, 9));
        NotifyDatagram.SocketName hidden = NotifyDatagram.SocketName.parse("@sd");
        assertEquals(2 + 3, hidden.length);
        assertArrayEquals(new byte[] {0, 's', 'd'}, Arrays.copyOfRange(hidden.sockaddr, 2, 5));
        int family = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? path.sockaddr[0] : path.sockaddr[1];
        assertEquals(1, family, "AF_UNIX");
    }

    @ParameterizedTest(name = "NOTIFY_SOCKET={0} is refused")
    @CsvSource({"relative/path", "vsock:2:1234", "@", "/"})
    void refusesWhatIsNotAUnixSocketAddress(String value) {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Notifier.forSocket(value));
        assertTrue(error.getMessage().startsWith("NOTIFY_SOCKET=\"" + value + "\" "), error.getMessage());
    }

    @Test
    void refusesANameTooLongForSockaddrUn() {
        assertThrows(IllegalStateException.class, () -> Notifier.forSocket("/" + "x".repeat(107)));
        Notifier.forSocket("/" + "x".repeat(106));
    }

    @ParameterizedTest(name = "WATCHDOG_USEC={0} WATCHDOG_PID={1}: {2}")
    @CsvSource(value = {
        "2000000 | -    | PT2S",   // for whoever reads it
        "2000000 | 4242 | PT2S",   // for us
        "2000000 | 4243 | -",      // for another process: no watchdog here
        "-       | 4242 | -",      // not asked
    }, delimiter = '|')
    void watchdogIsForTheProcessItNames(String usec, String pid, String expected) {
        Map<String, String> environment = new HashMap<>();
        if (!usec.equals("-")) {
            environment.put("WATCHDOG_USEC", usec);
        }
        if (!pid.equals("-")) {
            environment.put("WATCHDOG_PID", pid);
        }
        Optional<Duration> timeout = SdNotify.watchdogTimeout(environment, 4242);
        assertEquals(expected.equals("-") ? Optional.empty() : Optional.of(Duration.parse(expected)), timeout);
    }

    @ParameterizedTest(name = "WATCHDOG_USEC={0} WATCHDOG_PID={1} is an error")
    @CsvSource(value = {"0 | -", "-5 | -", "soon | -", "2000000 | me"}, delimiter = '|')
    void malformedWatchdogVariablesAreErrors(String usec, String pid) {
        Map<String, String> environment = new HashMap<>(Map.of("WATCHDOG_USEC", usec));
        if (!pid.equals("-")) {
            environment.put("WATCHDOG_PID", pid);
        }
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> SdNotify.watchdogTimeout(environment, 4242));
        assertTrue(error.getMessage().endsWith("is not a positive number"), error.getMessage());
    }
}
