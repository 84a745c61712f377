package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A log tail is the service's own text and reaches the terminal: nothing in it may move the cursor or forge a line. */
class ActivationExceptionTest {
    @Test
    void everyLineOfALogTailIsEscapedWithTheWidestEscaping() {
        ActivationException e = new ActivationException("hello@local", "failed",
                List.of("csi \u009b2J, esc \u001b[31m", "line\u2028separator\u2029and\rreturn", "back\\slash as written"), null);
        assertEquals(List.of("csi \\u009b2J, esc \\u001b[31m", "line\\u2028separator\\u2029and\\rreturn", "back\\slash as written"),
                e.logTail());
    }
}
