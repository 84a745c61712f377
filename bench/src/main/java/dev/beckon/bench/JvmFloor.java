package dev.beckon.bench;

/** The floor of every Java command line: a JVM that starts, runs an empty main and exits. */
public final class JvmFloor {
    private JvmFloor() {}

    public static void main(String[] args) {
        // Nothing: what is measured is the JVM's own start and exit.
    }
}
