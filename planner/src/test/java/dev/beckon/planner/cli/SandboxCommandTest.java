package dev.beckon.planner.cli;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.cli.BeckonCommandTest.Run;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxCommandTest {

    @Test
    void startStatusStopManageOnePrivateSystemd(@TempDir Path dir) {
        String sandbox = dir.resolve("sandbox").toString();
        Run start = beckon("sandbox", "start", "--dir", sandbox);
        long pid = -1;
        try {
            assertEquals(0, start.exitCode(), start.err());
            Matcher exported = Pattern.compile("export XDG_RUNTIME_DIR=/proc/(\\d+)/root/run/user/0\n").matcher(start.out());
            assertTrue(exported.find(), start.out());
            pid = Long.parseLong(exported.group(1));
            assertTrue(start.out().contains("export DBUS_SESSION_BUS_ADDRESS=unix:path=/proc/" + pid + "/root/run/user/0/bus\n"), start.out());
            assertTrue(start.err().contains("runs as pid " + pid), start.err());
            // The hints name this sandbox: without --dir they would start and stop the default one.
            assertTrue(start.err().contains("eval \"$(beckon sandbox start --dir '" + sandbox + "')\""), start.err());
            assertTrue(start.err().contains("stop it with: beckon sandbox stop --dir '" + sandbox + "'\n"), start.err());

            Run again = beckon("sandbox", "start", "--dir", sandbox);
            assertEquals(0, again.exitCode());
            assertTrue(again.err().contains("already running as pid " + pid), again.err());
            assertEquals(start.out(), again.out(), "starting twice must point at the same manager");

            Run status = beckon("sandbox", "status", "--dir", sandbox);
            assertEquals(0, status.exitCode(), status.err());
            assertTrue(status.err().contains("running as pid " + pid), status.err());
        } finally {
            Run stop = beckon("sandbox", "stop", "--dir", sandbox);
            assertEquals(0, stop.exitCode(), stop.err());
        }
        long stopped = pid;
        assertFalse(ProcessHandle.of(stopped).map(ProcessHandle::isAlive).orElse(false), "the manager outlived stop");
        Run status = beckon("sandbox", "status", "--dir", sandbox);
        assertEquals(1, status.exitCode());
        assertTrue(status.err().contains("not running"), status.err());
        assertEquals(0, beckon("sandbox", "stop", "--dir", sandbox).exitCode(), "stopping a stopped sandbox is not an error");
    }
}
