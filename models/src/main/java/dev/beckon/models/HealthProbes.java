package dev.beckon.models;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/**
 * The shapes a health check's probe must have, one place for the model's check (with sample values for
 * placeholders) and the check of the resolved probe where it runs.
 */
public final class HealthProbes {
    private HealthProbes() {}

    /** What is wrong with a {@code tcp} probe, {@code HOST:PORT} ({@code [::1]:PORT} for IPv6); empty when it is right. */
    public static Optional<String> tcpProblem(String probe) {
        int colon = probe.lastIndexOf(':');
        if (colon <= 0 || colon == probe.length() - 1) {
            return Optional.of("must be HOST:PORT, like \"127.0.0.1:{ports.http}\"");
        }
        String host = probe.substring(0, colon);
        if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
            return Optional.of("must write an IPv6 address in brackets, like \"[::1]:8080\"");
        }
        String port = probe.substring(colon + 1);
        if (!port.chars().allMatch(Character::isDigit) || port.length() > 5 || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            return Optional.of("has port " + Messages.quote(port) + ", which is not a number from 1 to 65535");
        }
        return Optional.empty();
    }

    /** What is wrong with an {@code http} probe, an {@code http://} or {@code https://} URL with a host; empty when it is right. */
    public static Optional<String> httpProblem(String probe) {
        try {
            URI uri = new URI(probe);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                return Optional.of("must be an http:// or https:// URL, like \"http://127.0.0.1:{ports.http}/health\"");
            }
            if (uri.getHost() == null) {
                return Optional.of("names no host");
            }
            return Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of("is not a URL: " + Messages.printable(e.getReason()));
        }
    }
}
