package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models built to exhaust: each is refused, or accepted, with its errors at file:line:column, in
 * memory and time that grow with its size and no more; never an OutOfMemoryError, a
 * StackOverflowError or a read that does not end.
 */
class ModelLimitsTest {
    private static final String TARGET = """
            [targets.local]
            host = "localhost"
            [targets.local.containers.systemd-unit]
            scope = "user"
            """;

    @TempDir
    Path dir;

    private List<String> errors(String services, String distribution) throws IOException {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), distribution);
        return errors(ModelFiles.in(dir));
    }

    private List<String> errors(ModelFiles files) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelLoader.load(files));
        return e.diagnostics().stream().map(d -> d.toString().replace(dir + "/", "")).toList();
    }

    @Test
    void aDottedKeyFortyThousandLevelsDeepIsRefusedWhereItIsWritten() throws Exception {
        // 80 KB; copying every prefix of its path took 96 s and 6 GB before running out of memory.
        assertEquals(List.of("services.toml:3:1: error: this key nests more than 32 levels deep, deeper than any model needs"
                        + " (services.NAME.on-demand.listen is 4); write it as a shorter key"),
                errors("[services.a]\ntype = \"systemd-unit\"\n" + "a.".repeat(40_000) + "b = 1\n", ""));
    }

    @Test
    void aTableHeaderTooDeepIsRefusedWhereItIsWritten() throws Exception {
        assertEquals(List.of("services.toml:2:1: error: this key nests more than 32 levels deep, deeper than any model needs"
                        + " (services.NAME.on-demand.listen is 4); write it as a shorter key"),
                errors("# deep\n[services." + "x.".repeat(40_000) + "y]\n", ""));
    }

    @Test
    void keysAsDeepAsTheLimitAreStillRead() throws Exception {
        // 32 levels: services, a, environment and 29 more; the model is wrong, but not for its depth.
        List<String> errors = errors("[services.a]\ntype = \"systemd-unit\"\nexec = [\"/bin/a\"]\nenvironment."
                + "k.".repeat(28) + "v = 1\n", "");
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("services.toml:4:1: error: services.a.environment.k must be a string, integer or boolean, not a table",
                errors.get(0));
    }

    @Test
    void aDependencyCycleThroughFiveThousandServicesIsOneErrorAtItsFirstDependency() throws Exception {
        int count = 5_000;
        StringBuilder services = new StringBuilder();
        StringBuilder distribution = new StringBuilder();
        for (int i = 0; i < count; i++) {
            services.append(service(i, (i + 1) % count));
            distribution.append(name(i)).append(" = [\"local\"]\n");
        }
        List<String> cycle = new ArrayList<>();
        for (int i = 0; i <= count; i++) {
            cycle.add(name(i % count));
        }
        assertEquals(List.of("services.toml:4:15: error: dependency cycle: " + String.join(" -> ", cycle)),
                errors(services.toString(), distribution.toString()));
    }

    @Test
    void aChainOfTenThousandServicesIsOrderedFromItsEnd() throws Exception {
        int count = 10_000;
        StringBuilder services = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Each depends on the next, so the order is the reverse of the names' order.
            services.append(i + 1 < count ? service(i, i + 1) : service(i, -1));
            expected.add(name(i));
        }
        Collections.reverse(expected);
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "");
        assertEquals(expected, ModelLoader.load(dir).activationOrder());
    }

    @Test
    void twoCyclesThroughTheSameServicesAreOneErrorAndASeparateCycleIsAnother() throws Exception {
        List<String> errors = errors("""
                [services.a]
                type = "systemd-unit"
                exec = ["/bin/a"]
                depends-on = ["b", "c"]
                [services.b]
                type = "systemd-unit"
                exec = ["/bin/b"]
                depends-on = ["a"]
                [services.c]
                type = "systemd-unit"
                exec = ["/bin/c"]
                depends-on = ["a"]
                [services.d]
                type = "systemd-unit"
                exec = ["/bin/d"]
                depends-on = ["e", "a"]
                [services.e]
                type = "systemd-unit"
                exec = ["/bin/e"]
                depends-on = ["d"]
                """, "");
        assertEquals(List.of("services.toml:4:15: error: dependency cycle: a -> b -> a",
                "services.toml:16:15: error: dependency cycle: d -> e -> d"), errors);
    }

    @Test
    void aDeviceAsAModelFileIsRefusedWithoutReadingIt() throws Exception {
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "");
        assertEquals(List.of("/dev/zero: error: not a regular file but a FIFO, socket or device; give the path of a TOML file"),
                errors(new ModelFiles(Path.of("/dev/zero"), dir.resolve("infrastructure.toml"), dir.resolve("distribution.toml"))));
    }

    @Test
    void aFifoAsAModelFileIsRefusedWithoutWaitingForAWriter() throws Exception {
        Path fifo = dir.resolve("services.toml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "");
        assertEquals(List.of("services.toml: error: not a regular file but a FIFO, socket or device; give the path of a TOML file"),
                errors(ModelFiles.in(dir)));
    }

    @Test
    void aDirectoryAsAModelFileIsRefused() throws Exception {
        Files.createDirectories(dir.resolve("services.toml"));
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "");
        assertEquals(List.of("services.toml: error: not a regular file but a directory; give the path of a TOML file"),
                errors(ModelFiles.in(dir)));
    }

    @Test
    void aFileLargerThanTheLimitIsRefusedAtTheLineWhereItCrossesIt() throws Exception {
        String first = "# a model that goes on and on\n";
        byte[] rest = new byte[TomlFile.MAX_FILE_BYTES - first.length() + 1];
        java.util.Arrays.fill(rest, (byte) 'x');
        try (var out = Files.newOutputStream(dir.resolve("services.toml"))) {
            out.write(first.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.write('#');
            out.write(rest);
        }
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "");
        assertEquals(List.of("services.toml:2:" + (TomlFile.MAX_FILE_BYTES - first.length() + 1)
                        + ": error: the file goes on past 16 MiB, the most a model file may hold; split the model or check that"
                        + " this is the right file"),
                errors(ModelFiles.in(dir)));
    }

    @Test
    void aPortNumberTooLargeForALongIsShownAsWritten() throws Exception {
        assertEquals(List.of("services.toml:4:18: error: port 999999999999999999999999999999 is outside 1-65535"),
                errors("[services.a]\ntype = \"systemd-unit\"\nexec = [\"/bin/a\"]\nports = { http = " + "9".repeat(30) + " }\n",
                        "a = [\"local\"]\n"));
    }

    private static String name(int i) {
        return String.format("s%05d", i);
    }

    /** A service that depends on service {@code dependency}, or on none when it is negative. */
    private static String service(int i, int dependency) {
        return "[services." + name(i) + "]\ntype = \"systemd-unit\"\nexec = [\"/bin/true\"]\n"
                + (dependency < 0 ? "" : "depends-on = [\"" + name(dependency) + "\"]\n");
    }
}
