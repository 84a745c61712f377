package dev.beckon.idle;

import java.lang.System.Logger.Level;

/**
 * The library's {@code System.Logger}, named {@code dev.beckon.idle}, obtained the first time
 * something is logged: finding the logging backend costs class loading that a service activated on
 * demand should not pay before its first connection.
 */
final class Log {
    private Log() {}

    private static final class Holder {
        static final System.Logger LOGGER = System.getLogger("dev.beckon.idle");
    }

    static void info(String message) {
        Holder.LOGGER.log(Level.INFO, message);
    }

    static void warning(String message) {
        Holder.LOGGER.log(Level.WARNING, message);
    }

    static void warning(String message, Throwable cause) {
        Holder.LOGGER.log(Level.WARNING, message, cause);
    }
}
