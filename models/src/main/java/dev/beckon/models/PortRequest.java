package dev.beckon.models;

/** A port a service declares: a fixed number, or {@code "auto"} for one chosen per target. */
public sealed interface PortRequest {

    /** A port number the user chose. */
    record Fixed(int port) implements PortRequest {
        @Override
        public String toString() {
            return String.valueOf(port);
        }
    }

    /** A port beckon chooses from the target's {@code auto-ports} range, stable for the same model. */
    record Auto() implements PortRequest {
        @Override
        public String toString() {
            return "auto";
        }
    }
}
