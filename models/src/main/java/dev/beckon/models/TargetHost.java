package dev.beckon.models;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How beckon reaches a target: {@code localhost} (modules run in-process) or an SSH destination
 * {@code [USER@]HOST[:PORT]}, where HOST may also be a name from the user's {@code ~/.ssh/config}.
 */
public record TargetHost(Optional<String> user, String host, OptionalInt port) {
    private static final Pattern DESTINATION = Pattern.compile(
            "(?:([a-z_][a-z0-9_.-]{0,31})@)?(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252}))(?::([0-9]{1,5}))?");

    /** The value of {@code host} that means: this machine, without SSH. */
    public static final String LOCALHOST = "localhost";

    /** Whether modules run in this process rather than over SSH. */
    public boolean isLocal() {
        return user.isEmpty() && port.isEmpty() && host.equals(LOCALHOST);
    }

    /**
     * Reads a {@code host} value.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static TargetHost parse(String text) {
        Matcher m = DESTINATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(Messages.quote(text)
                    + " is not \"localhost\" or an SSH destination like deploy@web1.example.org:2222");
        }
        OptionalInt port = OptionalInt.empty();
        if (m.group(3) != null) {
            int number = Integer.parseInt(m.group(3));
            if (number < 1 || number > 65535) {
                throw new IllegalArgumentException("port " + number + " in " + Messages.quote(text) + " is outside 1-65535");
            }
            port = OptionalInt.of(number);
        }
        return new TargetHost(Optional.ofNullable(m.group(1)), m.group(2), port);
    }

    /** The host part without brackets, as other services would use it to connect. */
    public String address() {
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public String toString() {
        return user.map(u -> u + "@").orElse("") + host + (port.isPresent() ? ":" + port.getAsInt() : "");
    }
}
