package dev.beckon.reliability;

/**
 * The reliability suite runs small by default, so that {@code mvn verify} stays quick; with
 * {@code -Dbeckon.reliability.long=true} each test runs its long variant (see README, "Tests").
 */
final class LongVariants {
    static final String PROPERTY = "beckon.reliability.long";

    private LongVariants() {}

    static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** {@code normal}, or {@code long} when the long variants were asked for. */
    static int choose(int normal, int longer) {
        return enabled() ? longer : normal;
    }
}
