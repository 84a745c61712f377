package dev.beckon.models;

/** An inclusive range of ports that {@code "auto"} ports are chosen from. */
public record PortRange(int first, int last) {
    /** Below Linux's ephemeral range (32768-60999), so outgoing connections never hold one. */
    public static final PortRange DEFAULT = new PortRange(20000, 29999);

    /** How many ports the range holds. */
    public int size() {
        return last - first + 1;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
