package dev.beckon.models;

import java.util.List;

/**
 * A runtime knob of a service ({@code [services.X.knobs]}): a typed value at a fixed slot of the service's knob
 * region, changed by {@code beckon knob set} while the service runs. Every value is held as one 64-bit slot: a
 * bool as 0 or 1, an int as itself, an enum as the index of its value in {@code values}.
 *
 * @param type {@code bool}, {@code int} or {@code enum}
 * @param values an enum's values in the order declared (their indexes are what the slot holds); empty otherwise
 * @param min an int's smallest value; 0 otherwise
 * @param max an int's largest value; 0 otherwise
 * @param defaultValue the slot's value before anyone sets it
 */
public record Knob(String name, String type, List<String> values, long min, long max, long defaultValue) {
    public static final String BOOL = "bool";
    public static final String INT = "int";
    public static final String ENUM = "enum";

    public Knob {
        values = values == null ? List.of() : List.copyOf(values);
    }

    /**
     * The slot value that {@code text} stands for.
     *
     * @throws IllegalArgumentException saying what is wrong with it, in words for the one-line error
     */
    public long parse(String text) {
        switch (type) {
            case BOOL -> {
                if (text.equals("true")) {
                    return 1;
                }
                if (text.equals("false")) {
                    return 0;
                }
                throw new IllegalArgumentException("knob " + name + " is a bool: give true or false, not " + Messages.quote(text));
            }
            case INT -> {
                long value;
                try {
                    value = Long.parseLong(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("knob " + name + " is an int from " + min + " to " + max + ", and "
                            + Messages.quote(text) + " is no integer");
                }
                if (value < min || value > max) {
                    throw new IllegalArgumentException("knob " + name + " is an int from " + min + " to " + max + "; " + value
                            + " is out of range");
                }
                return value;
            }
            case ENUM -> {
                int index = values.indexOf(text);
                if (index < 0) {
                    throw new IllegalArgumentException("knob " + name + " is one of " + String.join(", ", values) + ", not "
                            + Messages.quote(text));
                }
                return index;
            }
            default -> throw new IllegalStateException("knob " + name + " has type " + type + ", which this beckon does not know");
        }
    }

    /** Whether {@code slot} is a value of this knob. */
    public boolean accepts(long slot) {
        return switch (type) {
            case BOOL -> slot == 0 || slot == 1;
            case INT -> slot >= min && slot <= max;
            case ENUM -> slot >= 0 && slot < values.size();
            default -> false;
        };
    }

    /** A slot value as {@code beckon knob} shows and takes it. */
    public String format(long slot) {
        if (!accepts(slot)) {
            return "invalid(" + slot + ")";
        }
        return switch (type) {
            case BOOL -> slot == 1 ? "true" : "false";
            case ENUM -> values.get((int) slot);
            default -> String.valueOf(slot);
        };
    }

    /**
     * The knob's line in the region's layout text: {@code NAME bool}, {@code NAME int MIN MAX} or
     * {@code NAME enum VALUE...}. The default is no part of it: a new default changes no offset or meaning.
     */
    public String layoutLine() {
        return switch (type) {
            case INT -> name + " int " + min + " " + max;
            case ENUM -> name + " enum " + String.join(" ", values);
            default -> name + " " + type;
        };
    }
}
