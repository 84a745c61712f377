package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code [services.X.state]} and the sizes models write. */
class WarmStateModelTest {
    @TempDir
    Path dir;

    @Test
    void sizesAreReadInPowersOf1024AndWrittenBackTheShortestWay() {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(4096, Sizes.parse("4KiB"));
        assertEquals(64L << 20, Sizes.parse("64MiB"));
        assertEquals(64L << 20, Sizes.parse("64M"));
        assertEquals(2L << 30, Sizes.parse("2GiB"));
        assertEquals(1L << 40, Sizes.parse("1T"));
        assertEquals("64MiB", Sizes.format(64L << 20));
        assertEquals("1536KiB", Sizes.format(1536L << 10));
        assertEquals("1000", Sizes.format(1000));
    }

    @Test
    void aSizeThatIsNoneOrTooLargeIsRefusedSayingHowToWriteOne() {
        assertEquals("\"64MB\" is not a size; " + Sizes.SYNTAX, assertThrows(IllegalArgumentException.class,
                () -> Sizes.parse("64MB")).getMessage());
        assertEquals("size \"99999999999TiB\" is too large", assertThrows(IllegalArgumentException.class,
                () -> Sizes.parse("99999999999TiB")).getMessage());
    }

    @Test
    void aServiceWithStateGetsItsSizeAndOneWithoutHasNone() throws Exception {
        SystemModel model = load("""
                [services.counter]
                type = "systemd-unit"
                exec = ["/bin/counter"]
                [services.counter.state]
                size = "64MiB"

                [services.plain]
                type = "systemd-unit"
                exec = ["/bin/plain"]
                """);
        assertEquals(Optional.of(new WarmStateSpec(64L << 20)), model.services().get("counter").state());
        assertEquals(Optional.empty(), model.services().get("plain").state());
    }

    @Test
    void aBadStateTableIsAnErrorAtItsPlace() {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load("""
                [services.counter]
                type = "systemd-unit"
                exec = ["/bin/counter"]
                [services.counter.state]
                size = "5000"
                """));
        assertEquals(1, e.errorCount(), e.getMessage());
        assertTrue(e.getMessage().contains("services.toml:5:8: error: state size of service counter is 5000, but a warm-state region holds"
                + " a whole number of 4096-byte units, from 4KiB to 1GiB; give a multiple of 4KiB, like \"64MiB\""), e.getMessage());

        e = assertThrows(InvalidModelException.class, () -> load("""
                [services.counter]
                type = "systemd-unit"
                exec = ["/bin/counter"]
                state = { size = "64MiB", shape = "round" }
                """));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());

        e = assertThrows(InvalidModelException.class, () -> load("""
                [services.counter]
                type = "systemd-unit"
                exec = ["/bin/counter"]
                state = { size = true }
                """));
        assertTrue(e.getMessage().contains("services.toml:4:18: error: state size of service counter must be a size like \"64MiB\""),
                e.getMessage());
    }

    private SystemModel load(String services) throws Exception {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.t]\nhost = \"localhost\"\ncontainers = { systemd-unit = {} }\n");
        Files.writeString(dir.resolve("distribution.toml"), "");
        return ModelLoader.load(dir);
    }
}
