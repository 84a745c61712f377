package dev.beckon.idle.services;

import dev.beckon.idle.WarmState;
import java.nio.file.Path;

/**
 * A writer for WarmStateTest: counts up in every unit given, one transaction per step, filling the whole unit with
 * the count so a torn unit shows, and prints each count once its transaction is committed ({@code UNIT COUNT}).
 * It runs until it is killed.
 */
public final class WarmStateWriter {
    private WarmStateWriter() {}

    public static void main(String[] args) throws Exception {
        WarmState state = WarmState.open(Path.of(args[0]));
        int units = Integer.parseInt(args[1]);
        java.io.PrintStream out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        out.println("open");
        for (long step = 0; ; step++) {
            long unit = step % units;
            long[] count = new long[1];
            state.update(unit, buffer -> {
                count[0] = buffer.getLong(0) + 1;
                for (int i = 0; i < WarmState.UNIT_BYTES; i += 8) {
                    buffer.putLong(i, count[0]);
                }
            });
            out.println(unit + " " + count[0]);
        }
    }
}
