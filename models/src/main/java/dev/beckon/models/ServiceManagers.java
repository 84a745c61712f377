package dev.beckon.models;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which service manager a target's container is: beckon names what it writes there (systemd units, inetd.conf
 * entries, xinetd files) by profile and service, so one service placed on two targets that share a manager would
 * have its two instances overwrite each other. Two containers are taken to be one manager when their targets have
 * the same {@code host} and they have the same settings that choose the manager; two SSH destinations that are
 * one machine under different names cannot be told apart here.
 */
final class ServiceManagers {
    /** The settings that choose the manager, per built-in type; an external module's settings all count. */
    private static final Map<String, Set<String>> CHOOSING = Map.of(
            "systemd-unit", Set.of("scope", "bus"),
            "inetd", Set.of("config"),
            "xinetd", Set.of("directory"));

    private ServiceManagers() {}

    /** The manager that {@code target}'s container of {@code type} is, as a key; empty when it offers none. */
    static Optional<String> of(Target target, String type) {
        Container container = target.containers().get(type);
        if (container == null) {
            return Optional.empty();
        }
        Map<String, String> choosing = new TreeMap<>(container.settings());
        Set<String> keys = CHOOSING.get(type);
        if (keys != null) {
            choosing.keySet().retainAll(keys);
        }
        return Optional.of(target.host() + " " + type + " " + choosing);
    }

    /** What would be overwritten, in the words of an error message. */
    static String namesOf(String type) {
        return switch (type) {
            case "systemd-unit" -> "systemd unit files";
            case "inetd" -> "inetd.conf entries";
            case "xinetd" -> "xinetd files";
            default -> type + " instances";
        };
    }

    /** How to give a target a manager of its own, in the words of an error message. */
    static String howToSeparate(String type) {
        Set<String> keys = CHOOSING.get(type);
        return keys == null ? "another host or other container settings"
                : "another host, or another " + String.join(" or ", new java.util.TreeSet<>(keys));
    }
}
