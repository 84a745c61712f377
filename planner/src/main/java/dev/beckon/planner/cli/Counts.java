package dev.beckon.planner.cli;

import dev.beckon.models.SystemModel;

/** Numbers with their nouns, for summary lines. */
final class Counts {
    private Counts() {}

    static String plural(long count, String noun) {
        return plural(count, noun, noun + "s");
    }

    static String plural(long count, String singular, String plural) {
        return count + " " + (count == 1 ? singular : plural);
    }

    /** "2 services, 1 target, 2 instances" */
    static String summary(SystemModel model) {
        return plural(model.services().size(), "service") + ", " + plural(model.targets().size(), "target") + ", "
                + plural(model.instances().size(), "instance");
    }
}
