package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationTextTest {

    @ParameterizedTest(name = "{0} is {1} ms")
    @CsvSource({
        "0,       0",         // never ends by itself
        "0s,      0",         // a zero with a unit is zero too
        "500ms,   500",
        "30s,     30000",
        "5m,      300000",
        "1h30m,   5400000",
        "1d,      86400000",
        "1m30s5ms, 90005",    // units in any number, largest first as users write them
        "2s2s,    4000",      // repeated units add up, as in the models' parser
        "007s,    7000",      // leading zeros are digits like any other
    })
    void parsesTheModelSyntax(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), DurationText.parse(text));
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @CsvSource(value = {
        "''",          // empty
        "5",           // no unit
        "00",          // only 0 itself may stand without a unit
        "ms",          // no digits
        "1.5s",        // no fractions
        "-1s",         // no sign
        "1 s",         // no spaces
        "1sec",        // no other unit names
        "5S",          // units are lower case
        "1h 30m",
    })
    void rejectsEverythingElse(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> DurationText.parse(text));
        assertEquals(text.isEmpty() ? "is empty; " + DurationText.SYNTAX : "is not a duration; " + DurationText.SYNTAX,
                error.getMessage());
    }

    @ParameterizedTest(name = "{0} is too large")
    @CsvSource({"99999999999999999999s", "9223372036854775807d"})
    void rejectsWhatDoesNotFit(String text) {
        assertEquals("is too large", assertThrows(IllegalArgumentException.class, () -> DurationText.parse(text)).getMessage());
    }

    @ParameterizedTest(name = "{0} ms is written {1}")
    @CsvSource({"0, 0", "500, 500ms", "30000, 30s", "5400000, 1h30m", "90005, 1m30s5ms"})
    void formatsTheShortestWay(long millis, String text) {
        assertEquals(text, DurationText.format(Duration.ofMillis(millis)));
    }

    @ParameterizedTest(name = "{0} is quoted as {1}")
    @CsvSource(value = {"5x|\"5x\"", "a\"b|\"a\\\"b\"", "tab\there|\"tab\\u0009here\""}, delimiter = '|')
    void quotesValuesForMessages(String value, String quoted) {
        assertEquals(quoted, DurationText.quote(value));
    }
}
