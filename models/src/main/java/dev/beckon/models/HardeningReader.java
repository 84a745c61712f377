package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a service's {@code hardening} table, whose keys turn off the measures that systemd-unit services get by
 * default (see {@link Hardening}); other modules confine nothing, so the table is refused for them.
 */
final class HardeningReader {
    private final Diagnostics diagnostics;
    private final ValueReader values;

    HardeningReader(Diagnostics diagnostics, ValueReader values) {
        this.diagnostics = diagnostics;
        this.values = values;
    }

    /**
     * The hardening of {@code service}: the defaults with what the table turns off; {@link Hardening#NONE} for a
     * module other than systemd-unit. What is wrong is reported where it is written and left at its default.
     *
     * @param usesIp whether it has ports, listens on an IP address or depends on another service
     */
    Hardening read(String service, Node serviceNode, Optional<String> type, boolean usesIp) {
        Optional<Node> table = serviceNode.get("hardening").flatMap(values::table);
        if (type.isEmpty()) {
            return Hardening.NONE;
        }
        if (!type.get().equals("systemd-unit")) {
            table.ifPresent(t -> diagnostics.error(t.keyWhere(), "module " + type.get() + " does not confine the services it starts, "
                    + "so service " + service + " cannot have a hardening table; only systemd-unit services are hardened: remove it"));
            return Hardening.NONE;
        }
        if (table.isEmpty()) {
            return new Hardening(true, true, true, true, AddressFamilies.needed(usesIp, Set.of()), Optional.empty(), true);
        }
        Node node = table.get();
        values.checkKeys(node, Hardening.KEYS, "the hardening table of service " + service);
        boolean restrict = flag(node, Hardening.RESTRICT_ADDRESS_FAMILIES);
        Set<String> added = new TreeSet<>();
        node.get(Hardening.ADDRESS_FAMILIES).flatMap(values::array).ifPresent(list -> {
            for (Node element : list.elements()) {
                values.string(element).ifPresent(family -> {
                    if (!AddressFamilies.KNOWN.contains(family)) {
                        diagnostics.error(element.where(), "address family " + Messages.quote(family) + " of service " + service
                                + " is none Linux has" + Suggestions.didYouMean(family, AddressFamilies.KNOWN)
                                + "; name one like \"AF_NETLINK\"");
                    } else {
                        added.add(family);
                    }
                });
            }
            if (!restrict) {
                diagnostics.error(list.where(), "service " + service + " adds address families but turns "
                        + Hardening.RESTRICT_ADDRESS_FAMILIES + " off, which allows all; remove one of the two");
            }
        });
        Optional<String> user = node.get(Hardening.USER).flatMap(values::string).filter(name -> {
            if (!Hardening.USER_NAME.matcher(name).matches()) {
                diagnostics.error(node.get(Hardening.USER).orElseThrow().where(), "user " + Messages.quote(name) + " of service " + service
                        + " is not a user name systemd takes: up to 31 lower-case letters, digits, _ and -, not starting with a digit or -");
                return false;
            }
            return true;
        });
        boolean dynamicUser = flag(node, Hardening.DYNAMIC_USER);
        if (user.isPresent() && node.get(Hardening.DYNAMIC_USER).isPresent() && dynamicUser) {
            diagnostics.error(node.get(Hardening.DYNAMIC_USER).orElseThrow().where(), "service " + service + " has user "
                    + Messages.quote(user.get()) + " and dynamic-user = true; a service runs as one of them: remove one");
        }
        return new Hardening(flag(node, Hardening.NO_NEW_PRIVILEGES), flag(node, Hardening.PROTECT_SYSTEM),
                flag(node, Hardening.PROTECT_HOME), flag(node, Hardening.PRIVATE_TMP),
                restrict ? AddressFamilies.needed(usesIp, added) : new TreeSet<>(), user, dynamicUser && user.isEmpty());
    }

    /** A measure's key: true (on) unless the table says false. */
    private boolean flag(Node table, String key) {
        return table.get(key).flatMap(values::bool).orElse(true);
    }
}
