package dev.beckon.planner.cli;

import java.util.Map;

/**
 * Where the libraries' logs go (dbus-java and JGit log through slf4j, bound to slf4j-simple): their informational
 * lines are not for people running beckon, so warnings and worse reach stderr; {@code BECKON_DEBUG=1} shows
 * everything, beckon's own debug lines too. The provider is named rather than found, so that slf4j does not open every
 * jar of the class path looking for one, and java.util.logging is never started.
 */
public final class LibraryLogs {
    private LibraryLogs() {}

    /** Configures slf4j for this process; before anything logs, since slf4j reads it once. */
    public static void configure(Map<String, String> environment) {
        String debug = environment.get("BECKON_DEBUG");
        System.setProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
        // slf4j's own notes (such as which provider it loaded) only when something is wrong.
        System.setProperty("slf4j.internal.verbosity", "WARN");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug != null && !debug.isEmpty() ? "trace" : "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
}
