package dev.beckon.models;

import java.util.Optional;

/**
 * A {@code {...}} reference inside an {@code exec} argument, an environment value or a listen
 * address. Beckon's own syntax, so it never collides with systemd's {@code ${VAR}} or {@code %x}.
 */
public sealed interface Placeholder {

    /** {@code {package}}: the path of the service's package in the target's store. */
    record PackagePath() implements Placeholder {
        @Override
        public String toString() {
            return "{package}";
        }
    }

    /** {@code {ports.NAME}}: one of the service's own ports on this target. */
    record Port(String name) implements Placeholder {
        @Override
        public String toString() {
            return "{ports." + name + "}";
        }
    }

    /** {@code {deps.SERVICE.host}}: the hostname of the target the dependency runs on. */
    record DependencyHost(String service) implements Placeholder {
        @Override
        public String toString() {
            return "{deps." + service + ".host}";
        }
    }

    /** {@code {deps.SERVICE.ports.NAME}}: a port of a dependency. */
    record DependencyPort(String service, String port) implements Placeholder {
        @Override
        public String toString() {
            return "{deps." + service + ".ports." + port + "}";
        }
    }

    /** {@code {target.name}}. */
    record TargetName() implements Placeholder {
        @Override
        public String toString() {
            return "{target.name}";
        }
    }

    /** {@code {target.hostname}}. */
    record TargetHostname() implements Placeholder {
        @Override
        public String toString() {
            return "{target.hostname}";
        }
    }

    /** {@code {target.properties.KEY}}. */
    record TargetProperty(String key) implements Placeholder {
        @Override
        public String toString() {
            return "{target.properties." + key + "}";
        }
    }

    /** The forms a user may write, for error messages. */
    String KNOWN_FORMS = "{package}, {ports.NAME}, {deps.SERVICE.host}, {deps.SERVICE.ports.NAME}, "
            + "{target.name}, {target.hostname}, {target.properties.KEY}";

    /** Reads the text between the braces, or returns empty when it names no known placeholder. */
    static Optional<Placeholder> parse(String inside) {
        String[] parts = inside.split("\\.", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(switch (parts.length) {
            case 1 -> parts[0].equals("package") ? new PackagePath() : null;
            case 2 -> switch (parts[0]) {
                case "ports" -> new Port(parts[1]);
                case "target" -> switch (parts[1]) {
                    case "name" -> new TargetName();
                    case "hostname" -> new TargetHostname();
                    default -> null;
                };
                default -> null;
            };
            case 3 -> parts[0].equals("deps") && parts[2].equals("host") ? new DependencyHost(parts[1])
                    : parts[0].equals("target") && parts[1].equals("properties") ? new TargetProperty(parts[2])
                    : null;
            case 4 -> parts[0].equals("deps") && parts[2].equals("ports") ? new DependencyPort(parts[1], parts[3]) : null;
            default -> null;
        });
    }
}
