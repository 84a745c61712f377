package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A failed start's report carries that start's journal lines: none of an earlier start, none twice, none lost. */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdFailureLogTest {
    private static final String MARK = "of the failing service";

    @TempDir
    Path state;

    private SystemdFixture fixture;

    @BeforeEach
    void setUp(SystemdUserManager systemd) {
        fixture = new SystemdFixture(systemd, state);
    }

    @Test
    void aFailedStartReportsItsOwnLinesOnlyEvenFromAProcessThatDiedAtOnce() throws Exception {
        // It prints one line with its pid and exits at once: before journald can look up which unit the pid was in.
        ServiceInstance failing = fixture.daemon("failing", List.of("/bin/sh", "-c", "echo \"run $$ " + MARK + "\" >&2; exit 3"));
        List<String> first = failedStart(failing);
        List<String> second = failedStart(failing);

        for (List<String> report : List.of(first, second)) {
            assertEquals(1, report.stream().filter(line -> line.contains(MARK)).count(), "the service's own line, once: " + report);
            assertEquals(report.size(), new TreeSet<>(report).size(), "no line twice: " + report);
        }
        Set<String> earlier = Set.copyOf(first);
        assertEquals(List.of(), second.stream().filter(earlier::contains).toList(), "lines of the earlier start: " + second);
        assertTrue(!runOf(first).equals(runOf(second)), "both reports show the same run: " + first + " / " + second);
    }

    private List<String> failedStart(ServiceInstance instance) throws Exception {
        try (SystemdSession session = fixture.open()) {
            ActivationException failure = assertThrows(ActivationException.class, () -> session.activate(instance));
            session.deactivate(instance);
            session.flush();
            return failure.logTail();
        }
    }

    private static String runOf(List<String> report) {
        return report.stream().filter(line -> line.contains(MARK)).findFirst().orElseThrow()
                .replaceAll(".*run ([0-9]+) " + MARK + ".*", "$1");
    }
}
