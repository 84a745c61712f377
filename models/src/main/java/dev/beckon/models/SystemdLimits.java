package dev.beckon.models;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What systemd refuses to load in a unit file, so that {@code validate} reports it at the model's
 * line instead of systemd at deploy time (measured against systemd 252 with
 * {@code systemd-analyze verify}). The lengths count the bytes that the systemd-unit module writes:
 * its escaping (activation's {@code UnitSyntax}) is mirrored here, and a test there holds the two
 * equal.
 */
public final class SystemdLimits {
    /**
     * systemd's {@code LONG_LINE_MAX}: a unit file line of this many bytes or more, without its
     * newline, fails the whole unit with ENOBUFS ("LimitsExceeded" over D-Bus).
     */
    public static final int LONG_LINE_MAX = 1 << 20;
    /** The longest path systemd takes as the program of {@code ExecStart=}, without its NUL. */
    public static final int MAX_PROGRAM_PATH_BYTES = 4095;
    /** The longest name of one path component ({@code NAME_MAX}). */
    public static final int MAX_NAME_BYTES = 255;

    private SystemdLimits() {}

    /** The bytes {@code value} takes as one double-quoted, escaped argument: {@code "..."}. */
    public static long quotedLength(String value, boolean doubleDollars) {
        long length = 2;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (c == '\\' || c == '"' || c == '\n' || c == '\t' || c == '\r' || c == '%' || (c == '$' && doubleDollars)) {
                length += 2;
            } else if (c < 0x20 || c == 0x7f) {
                length += 4;
            } else {
                length += utf8Length(c);
            }
        }
        return length;
    }

    /** The bytes of free text such as {@code Description=}, where only {@code %} is doubled. */
    public static long textLength(String value) {
        long length = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                length += 4;
                i++;
            } else {
                length += c == '%' ? 2 : utf8Length(c);
            }
        }
        return length;
    }

    /**
     * Why systemd would refuse {@code program} as the program of {@code ExecStart=}, if it would: it
     * must be an absolute path or a plain file name (looked up in systemd's search path), not name a
     * directory, and hold no control characters, quotes or backslashes ({@code string_is_safe}).
     */
    public static Optional<String> programProblem(String program) {
        for (int i = 0; i < program.length(); i++) {
            char c = program.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '\\') {
                return Optional.of("holds " + (c == '"' || c == '\'' || c == '\\' ? "'" + c + "'" : "a control character")
                        + ", which systemd does not take in the path of a program (quotes, backslashes and control characters)");
            }
        }
        if (program.endsWith("/")) {
            return Optional.of("ends with '/', which systemd takes for a directory");
        }
        if (!program.startsWith("/") && (program.contains("/") || program.equals(".") || program.equals(".."))) {
            return Optional.of("is neither an absolute path nor a plain program name, which is all systemd takes; "
                    + "write it as an absolute path or use {package}/...");
        }
        if (program.getBytes(StandardCharsets.UTF_8).length > MAX_PROGRAM_PATH_BYTES) {
            return Optional.of("is longer than " + MAX_PROGRAM_PATH_BYTES + " bytes, the longest path systemd takes");
        }
        for (String name : program.split("/")) {
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                return Optional.of("has a path component longer than " + MAX_NAME_BYTES + " bytes, the longest file name there is");
            }
        }
        return Optional.empty();
    }

    private static int utf8Length(char c) {
        return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
}
