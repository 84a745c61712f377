package dev.beckon.models;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How a service is confined by its service manager ({@code [services.X.hardening]}): every measure is on unless the
 * model turns it off. Only systemd-unit services have one ({@link #NONE} for the others, and for instances recorded
 * before hardening existed, which keep the units they were deployed with). Which measures a manager can apply is
 * the renderer's business: a user manager cannot switch users or, without unprivileged user namespaces, set up
 * mount namespaces.
 *
 * @param noNewPrivileges NoNewPrivileges=: setuid programs and file capabilities give the service nothing
 * @param protectSystem ProtectSystem=strict: the file system is read-only to it, but for its own state directory
 * @param protectHome ProtectHome=read-only
 * @param privateTmp PrivateTmp=: a /tmp and /var/tmp of its own
 * @param addressFamilies RestrictAddressFamilies=: the socket families it may create, sorted; empty: any
 * @param user the user it runs as ({@code user}); empty: a dynamic user when {@code dynamicUser}, else the manager's
 * @param dynamicUser DynamicUser=: a user allocated for it while it runs, when it has no {@code user}
 */
public record Hardening(boolean noNewPrivileges, boolean protectSystem, boolean protectHome, boolean privateTmp,
        SortedSet<String> addressFamilies, Optional<String> user, boolean dynamicUser) {
    public static final String NO_NEW_PRIVILEGES = "no-new-privileges";
    public static final String PROTECT_SYSTEM = "protect-system";
    public static final String PROTECT_HOME = "protect-home";
    public static final String PRIVATE_TMP = "private-tmp";
    public static final String RESTRICT_ADDRESS_FAMILIES = "restrict-address-families";
    /** Families added to those beckon finds the service needs. */
    public static final String ADDRESS_FAMILIES = "address-families";
    public static final String USER = "user";
    public static final String DYNAMIC_USER = "dynamic-user";
    /** The keys of the table, in the order the README lists them. */
    public static final List<String> KEYS = List.of(NO_NEW_PRIVILEGES, PROTECT_SYSTEM, PROTECT_HOME, PRIVATE_TMP,
            RESTRICT_ADDRESS_FAMILIES, ADDRESS_FAMILIES, USER, DYNAMIC_USER);
    /**
     * What systemd takes for a user name in User= (its "strict" rule, which useradd's default follows too), so that
     * a name that systemd would refuse or read as a number is refused in the model.
     */
    public static final java.util.regex.Pattern USER_NAME = java.util.regex.Pattern.compile("[a-z_][a-z0-9_-]{0,30}");
    /** No confinement: modules other than systemd-unit, and instances recorded before hardening existed. */
    public static final Hardening NONE = new Hardening(false, false, false, false, new TreeSet<>(), Optional.empty(), false);

    public Hardening {
        addressFamilies = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(addressFamilies));
        user = user == null ? Optional.empty() : user;
    }

    /**
     * The measures as manifests record them: every key, so that an entry with hardening is told apart from one
     * recorded before it existed (an empty map, {@link #NONE}).
     */
    public SortedMap<String, String> toMap() {
        SortedMap<String, String> map = new TreeMap<>();
        if (equals(NONE)) {
            return map;
        }
        map.put(NO_NEW_PRIVILEGES, String.valueOf(noNewPrivileges));
        map.put(PROTECT_SYSTEM, String.valueOf(protectSystem));
        map.put(PROTECT_HOME, String.valueOf(protectHome));
        map.put(PRIVATE_TMP, String.valueOf(privateTmp));
        map.put(ADDRESS_FAMILIES, String.join(" ", addressFamilies));
        map.put(USER, user.orElse(""));
        map.put(DYNAMIC_USER, String.valueOf(dynamicUser));
        return map;
    }

    /**
     * Reads {@link #toMap()} back; an empty map is {@link #NONE}.
     *
     * @throws IllegalArgumentException naming the key that is unknown or whose value is not what toMap writes
     */
    public static Hardening fromMap(SortedMap<String, String> map) {
        if (map.isEmpty()) {
            return NONE;
        }
        for (String key : map.keySet()) {
            if (!KEYS.contains(key) || key.equals(RESTRICT_ADDRESS_FAMILIES)) {
                throw new IllegalArgumentException("hardening " + Messages.quote(key) + " is none this beckon knows");
            }
        }
        SortedSet<String> families = new TreeSet<>();
        for (String family : map.getOrDefault(ADDRESS_FAMILIES, "").split(" ")) {
            if (!family.isEmpty()) {
                if (!AddressFamilies.KNOWN.contains(family)) {
                    throw new IllegalArgumentException("address family " + Messages.quote(family) + " is none this beckon knows");
                }
                families.add(family);
            }
        }
        String user = map.getOrDefault(USER, "");
        if (!user.isEmpty() && !USER_NAME.matcher(user).matches()) {
            throw new IllegalArgumentException("user " + Messages.quote(user) + " is not a user name");
        }
        return new Hardening(flag(map, NO_NEW_PRIVILEGES), flag(map, PROTECT_SYSTEM), flag(map, PROTECT_HOME), flag(map, PRIVATE_TMP),
                families, user.isEmpty() ? Optional.empty() : Optional.of(user), flag(map, DYNAMIC_USER));
    }

    private static boolean flag(SortedMap<String, String> map, String key) {
        String value = map.getOrDefault(key, "false");
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("hardening " + key + " " + Messages.quote(value) + " is not true or false");
        }
        return Boolean.parseBoolean(value);
    }
}
