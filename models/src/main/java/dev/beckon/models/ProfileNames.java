package dev.beckon.models;

import java.util.regex.Pattern;

/**
 * What a profile may be called, in the one place every part of beckon asks: 1-32 lower-case letters
 * and digits. It holds no dash, so {@code beckon-PROFILE-SERVICE} names both without ambiguity in
 * unit names, inetd entries and file names; here because models is what all of them depend on.
 */
public final class ProfileNames {
    /** The syntax as a regular expression, for patterns that hold a profile name among other text. */
    public static final String SYNTAX = "[a-z0-9]{1,32}";
    public static final Pattern PATTERN = Pattern.compile(SYNTAX);

    private ProfileNames() {}

    public static boolean isValid(String name) {
        return PATTERN.matcher(name).matches();
    }
}
