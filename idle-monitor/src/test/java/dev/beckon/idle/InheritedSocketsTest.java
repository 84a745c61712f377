package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InheritedSocketsTest {
    private static final long OUR_PID = 4242;

    @ParameterizedTest(name = "LISTEN_PID={0} LISTEN_FDS={1}: {2} fds")
    @CsvSource(value = {
        "4242 | 2     | 2",   // for us
        "4242 | ' 1 ' | 1",   // blanks around numbers are tolerated
        "4243 | 2     | 0",   // meant for another process (inherited from a parent): not activated
        "-    | 2     | 0",   // no LISTEN_PID: not activated (systemd always sets it)
        "4242 | -     | 0",   // no LISTEN_FDS
        "4242 | 0     | 0",
        "4242 | -3    | 0",
        "4242 | two   | 0",   // malformed: not activated, as go-systemd answers
        "x    | 2     | 0",
    }, delimiter = '|')
    void countsOnlyFdsPassedToThisProcess(String pid, String fds, int expected) {
        Map<String, String> environment = new HashMap<>();
        if (!pid.equals("-")) {
            environment.put("LISTEN_PID", pid);
        }
        if (!fds.equals("-")) {
            environment.put("LISTEN_FDS", fds);
        }
        assertEquals(expected, InheritedSockets.listenFdsFor(environment, OUR_PID));
    }

    @ParameterizedTest(name = "LISTEN_FDNAMES={0} for {1} fds")
    @CsvSource(value = {
        "web:admin   | 2 | web,admin",
        "-           | 2 | null,null",    // unset: no names
        "web         | 2 | web,null",     // fewer names than fds
        "web::admin  | 3 | web,null,admin", // an empty name is no name
        "a:b:c       | 2 | a,b",          // extra names are ignored
    }, delimiter = '|')
    void namesEachFdFromListenFdNames(String names, int count, String expected) {
        List<String> wanted = Arrays.stream(expected.split(",")).map(name -> name.equals("null") ? null : name).toList();
        assertEquals(wanted, InheritedSockets.names(names.equals("-") ? null : names, count));
    }
}
