package dev.beckon.idle;

import java.io.File;
import java.io.IOException;

/**
 * This process's id, read where it costs least on the path to the first connection: {@code /proc/self}
 * names it. {@code ProcessHandle.current()} would load its implementation, lambdas and an executor for
 * process reaping at every start of a service that systemd passed sockets to ({@code LISTEN_PID}).
 */
final class OwnProcess {
    private OwnProcess() {}

    static long pid() {
        try {
            return Long.parseLong(new File("/proc/self").getCanonicalFile().getName());
        } catch (IOException | NumberFormatException e) {
            // No /proc (a container without it): the JDK's way.
            return ProcessHandle.current().pid();
        }
    }
}
