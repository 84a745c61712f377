package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import org.junit.jupiter.api.Test;

/** {@code beckon --version} answers without building the command model, and says just what the model would. */
class FastVersionIT {
    @Test
    void theShortWayPrintsWhatTheCommandModelPrints() {
        BeckonProcess.Run fast = BeckonProcess.beckon("--version");
        BeckonProcess.Run shortOption = BeckonProcess.beckon("-V");
        // A subcommand's --version (inherited) goes through picocli's own version help.
        BeckonProcess.Run throughPicocli = BeckonProcess.beckon("validate", "--version");
        assertEquals(0, fast.exitCode(), fast.output());
        assertTrue(fast.out().startsWith("beckon "), fast.output());
        assertEquals(throughPicocli.out(), fast.out());
        assertEquals(throughPicocli.out(), shortOption.out());
        assertEquals("", fast.err() + shortOption.err() + throughPicocli.err());
        assertEquals(throughPicocli.exitCode(), fast.exitCode());
    }
}
