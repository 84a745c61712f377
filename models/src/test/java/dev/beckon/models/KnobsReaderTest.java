package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnobsReaderTest {
    @TempDir
    Path dir;

    private SystemModel load(String knobs) throws IOException, InvalidModelException {
        Files.writeString(dir.resolve("services.toml"), """
                [services.one]
                type = "systemd-unit"
                exec = ["/bin/one"]
                [services.one.knobs]
                """ + knobs);
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.t]\nhost = \"localhost\"\ncontainers = { systemd-unit = {} }\n");
        Files.writeString(dir.resolve("distribution.toml"), "one = [\"t\"]\n");
        return ModelLoader.load(dir);
    }

    private List<String> errors(String knobs) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load(knobs));
        return e.diagnostics().stream().map(d -> d.toString().replace(dir + "/", "")).toList();
    }

    @Test
    void readsEachTypeWithItsDefaultInTheOrderDeclared() throws Exception {
        SystemModel model = load("""
                log-level = { type = "enum", values = ["debug", "info", "warn"], default = "info" }
                max-connections = { type = "int", min = 1, max = 1000, default = 100 }
                draining = { type = "bool" }
                quota = { type = "int", min = -5, max = 5 }
                """);
        List<Knob> knobs = model.instances().get(0).service().knobs();
        assertEquals(List.of(new Knob("log-level", "enum", List.of("debug", "info", "warn"), 0, 0, 1),
                new Knob("max-connections", "int", List.of(), 1, 1000, 100),
                new Knob("draining", "bool", List.of(), 0, 0, 0),
                new Knob("quota", "int", List.of(), -5, 5, -5)), knobs);
        assertEquals("info", knobs.get(0).format(knobs.get(0).parse("info")));
        assertEquals(1, knobs.get(2).parse("true"));
    }

    @Test
    void eachMistakeIsAnErrorWhereItIsWritten() {
        assertEquals(List.of(
                "services.toml:5:14: error: knob a of service one has type \"float\"; a knob is a \"bool\", an \"int\" (with min and max)"
                        + " or an \"enum\" (with values)",
                "services.toml:6:49: error: the default 9 of knob b of service one is outside its range 1 to 3",
                "services.toml:7:37: error: knob c of service one lists the value x twice",
                "services.toml:8:53: error: the default \"z\" of knob d of service one is none of its values x, y",
                "services.toml:9:22: error: knob e of service one has min, which only an int knob takes",
                "services.toml:10:36: error: knob f of service one has max 1 below its min 2",
                "services.toml:11:1: error: services.one.knobs.g needs min",
                "services.toml:12:32: error: services.one.knobs.h.default must be a boolean (true or false), not a string",
                "services.toml:13:1: error: knob name \"Big\" must be 1-63 lower-case letters, digits and hyphens, starting with a"
                        + " letter or digit, so it is safe in unit and file names"),
                errors("""
                        a = { type = "float" }
                        b = { type = "int", min = 1, max = 3, default = 9 }
                        c = { type = "enum", values = ["x", "x"] }
                        d = { type = "enum", values = ["x", "y"], default = "z" }
                        e = { type = "bool", min = 1 }
                        f = { type = "int", min = 2, max = 1 }
                        g = { type = "int", max = 1 }
                        h = { type = "bool", default = "yes" }
                        Big = { type = "bool" }
                        """));
    }

    @Test
    void aValueForSetIsCheckedAgainstTheKnobsType() {
        Knob level = new Knob("level", "enum", List.of("low", "high"), 0, 0, 0);
        Knob count = new Knob("count", "int", List.of(), 1, 10, 1);
        Knob on = new Knob("on", "bool", List.of(), 0, 0, 0);
        assertEquals("knob level is one of low, high, not \"medium\"",
                assertThrows(IllegalArgumentException.class, () -> level.parse("medium")).getMessage());
        assertEquals("knob count is an int from 1 to 10; 11 is out of range",
                assertThrows(IllegalArgumentException.class, () -> count.parse("11")).getMessage());
        assertEquals("knob count is an int from 1 to 10, and \"ten\" is no integer",
                assertThrows(IllegalArgumentException.class, () -> count.parse("ten")).getMessage());
        assertEquals("knob on is a bool: give true or false, not \"1\"",
                assertThrows(IllegalArgumentException.class, () -> on.parse("1")).getMessage());
    }
}
