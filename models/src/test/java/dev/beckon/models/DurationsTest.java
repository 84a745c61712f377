package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"0, 0", "500ms, 500", "30s, 30000", "5m, 300000", "1h30m, 5400000", "1d, 86400000", "2m30s250ms, 150250"})
    void readsUnitsAndCombinations(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), Durations.parse(text));
        assertEquals(text, Durations.format(Durations.parse(text)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "30", "5 minutes", "1.5s", "-5s", "5S", "s", "99999999999999999999d",
            // fits a Duration, but not the milliseconds the renderers and the idle-monitor count in
            "99999999999999d"})
    void rejectsAnythingElse(String text) {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    }
}
