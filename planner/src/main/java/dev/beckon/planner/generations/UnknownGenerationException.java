package dev.beckon.planner.generations;

import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.stream.Collectors;

/** A generation number was asked for that the profile does not keep (never recorded, or deleted). */
public final class UnknownGenerationException extends GenerationsException {
    private static final long serialVersionUID = 1L;

    private final int number;
    private final List<Integer> known;

    UnknownGenerationException(Path directory, String profile, int number, SortedSet<Integer> known) {
        super(directory, "profile '" + profile + "' has no generation " + number + "; "
                + (known.isEmpty() ? "it has no generations yet"
                        : "kept generations: " + known.stream().map(String::valueOf).collect(Collectors.joining(", "))));
        this.number = number;
        this.known = List.copyOf(known);
    }

    /** @return the number asked for */
    public int number() {
        return number;
    }

    /** @return the numbers the profile does keep, ascending */
    public List<Integer> known() {
        return known;
    }
}
