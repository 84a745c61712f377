package dev.beckon.models;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/** Where an on-demand service listens: a TCP port, optionally on one address, or a Unix socket. */
public sealed interface ListenAddress {

    /** The longest Unix socket path the kernel takes ({@code sun_path} holds 108 bytes with the NUL). */
    int MAX_UNIX_PATH_BYTES = 107;

    /** A TCP listener; {@code host} is empty for every address of the machine. */
    record Inet(Optional<String> host, int port) implements ListenAddress {
        @Override
        public String toString() {
            return host.map(h -> (h.contains(":") ? "[" + h + "]" : h) + ":" + port).orElse(String.valueOf(port));
        }
    }

    /** A Unix stream socket at an absolute path. */
    record Unix(String path) implements ListenAddress {
        @Override
        public String toString() {
            return path;
        }
    }

    Pattern PORT = Pattern.compile("[0-9]{1,5}");
    Pattern HOSTNAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    Pattern UNIX_PATH = Pattern.compile("/[A-Za-z0-9._/@+=,-]*");

    /**
     * Reads a listen address: {@code 8080}, {@code host:8080}, {@code [::1]:8080} or
     * {@code /run/app.sock}.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    static ListenAddress parse(String text) {
        if (text.startsWith("/")) {
            if (!UNIX_PATH.matcher(text).matches()) {
                throw new IllegalArgumentException("Unix socket path " + Messages.quote(text)
                        + " may only contain letters, digits and . _ / @ + = , -");
            }
            if (text.contains("/../") || text.endsWith("/..") || text.contains("//")) {
                throw new IllegalArgumentException("Unix socket path " + Messages.quote(text) + " must be normalized (no '..' or '//')");
            }
            if (text.getBytes(StandardCharsets.UTF_8).length > MAX_UNIX_PATH_BYTES) {
                throw new IllegalArgumentException("Unix socket path " + Messages.quote(text) + " is longer than "
                        + MAX_UNIX_PATH_BYTES + " bytes, the kernel's limit");
            }
            return new Unix(text);
        }
        if (PORT.matcher(text).matches()) {
            return new Inet(Optional.empty(), port(text, text));
        }
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("listen address " + Messages.quote(text) + " must be [IPV6]:PORT");
            }
            String host = text.substring(1, close);
            if (!IPV6.matcher(host).matches() || !host.contains(":")) {
                throw new IllegalArgumentException(Messages.quote(host) + " in " + Messages.quote(text) + " is not an IPv6 address");
            }
            return new Inet(Optional.of(host), port(text.substring(close + 2), text));
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("listen address " + Messages.quote(text)
                    + " must be a port, HOST:PORT, [IPV6]:PORT or an absolute Unix socket path");
        }
        String host = text.substring(0, colon);
        if (!HOSTNAME.matcher(host).matches()) {
            throw new IllegalArgumentException(Messages.quote(host) + " in " + Messages.quote(text)
                    + " is not a host name or IPv4 address (IPv6 goes in brackets: [::1]:8080)");
        }
        return new Inet(Optional.of(host), port(text.substring(colon + 1), text));
    }

    private static int port(String digits, String whole) {
        if (!PORT.matcher(digits).matches()) {
            throw new IllegalArgumentException(Messages.quote(digits) + " in " + Messages.quote(whole) + " is not a port number");
        }
        int port = Integer.parseInt(digits);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " in " + Messages.quote(whole) + " is outside 1-65535");
        }
        return port;
    }
}
