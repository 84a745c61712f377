package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code [services.X.limits]}: read where it is written, refused where its module could not enforce it. */
class LimitsReaderTest {
    private static final String TARGET = """
            [targets.local]
            host = "localhost"
            containers = { systemd-unit = { scope = "user" }, inetd = {}, xinetd = {}, my-module = {} }
            """;

    @TempDir
    Path dir;

    private void write(String services) throws IOException {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "s = [\"local\"]\n");
    }

    private Limits limits(String services) throws Exception {
        write(services);
        return ModelLoader.load(dir).services().get("s").limits();
    }

    private List<String> errors(String services) throws IOException {
        write(services);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelLoader.load(dir));
        return e.diagnostics().stream().map(d -> d.toString().replace(dir + "/", "")).toList();
    }

    private static String service(String type, String onDemand, String limits) {
        return "[services.s]\ntype = \"" + type + "\"\nexec = [\"/bin/s\"]\n" + onDemand + "[services.s.limits]\n" + limits;
    }

    private static final String ACCEPT = "[services.s.on-demand]\nlisten = [\"127.0.0.1:7000\"]\naccept = true\n";
    private static final String SHARED = "[services.s.on-demand]\nlisten = [\"127.0.0.1:7000\"]\n";

    @Test
    void everyLimitOfASystemdServiceStartedPerConnectionIsRead() throws Exception {
        Limits limits = limits(service("systemd-unit", ACCEPT, """
                memory = "256MiB"
                tasks = 64
                cpu = "50%"
                open-files = 1024
                connections = 100
                connections-per-source = 10
                """));
        assertEquals(new Limits(OptionalLong.of(256L << 20), OptionalInt.of(64), OptionalInt.of(50), OptionalInt.of(1024),
                OptionalInt.of(100), OptionalInt.of(10)), limits);
        assertEquals(Map.of("memory", "268435456", "tasks", "64", "cpu", "50%", "open-files", "1024", "connections", "100",
                "connections-per-source", "10"), limits.toMap());
        assertEquals(limits, Limits.fromMap(new TreeMap<>(limits.toMap())));
    }

    @Test
    void aServiceWithoutTheTableHasNoLimits() throws Exception {
        write("[services.s]\ntype = \"systemd-unit\"\nexec = [\"/bin/s\"]\n");
        assertEquals(Limits.NONE, ModelLoader.load(dir).services().get("s").limits());
        assertEquals(Map.of(), Limits.NONE.toMap());
    }

    @Test
    void memoryIsBytesOrABinarySize() throws Exception {
        assertEquals(OptionalLong.of(1L << 30), limits(service("systemd-unit", "", "memory = \"1GiB\"\n")).memoryBytes());
        assertEquals(OptionalLong.of(64L << 20), limits(service("systemd-unit", "", "memory = 67108864\n")).memoryBytes());
        assertEquals(List.of("services.toml:5:10: error: limit memory of service s: \"256MB\" is not a size; " + Sizes.SYNTAX),
                errors(service("systemd-unit", "", "memory = \"256MB\"\n")));
        assertEquals(List.of("services.toml:5:10: error: limit memory of service s is 256.0KiB, less than any program needs to start;"
                + " give at least 1MiB (did you mean MiB for KiB?)"), errors(service("systemd-unit", "", "memory = \"256KiB\"\n")));
    }

    @Test
    void wrongValuesAreRefusedWhereTheyAreWritten() throws Exception {
        assertEquals(List.of(
                "services.toml:5:7: error: limit cpu of service s must be a share of one CPU from \"1%\" to \"100000%\" (\"200%\" is two"
                        + " CPUs), not \"0.5\"",
                "services.toml:6:9: error: limit tasks of service s must be a number of processes and threads from 1 to 4194304, not 0",
                "services.toml:7:14: error: limit open-files of service s must be a number of file descriptors from 1 to 1048576, not a string",
                "services.toml:8:1: error: unknown key memroy in the limits table of service s (did you mean memory?); known keys:"
                        + " connections, connections-per-source, cpu, memory, open-files, tasks"),
                errors(service("systemd-unit", "", "cpu = \"0.5\"\ntasks = 0\nopen-files = \"many\"\nmemroy = 1\n")));
        assertEquals(List.of("services.toml:9:26: error: limit connections-per-source of service s is 20, more than its connections"
                        + " (10), so it would bound nothing; lower it or leave it out"),
                errors(service("systemd-unit", ACCEPT, "connections = 10\nconnections-per-source = 20\n")));
    }

    @Test
    void aLimitTheModuleCannotEnforceIsAnErrorNamingModuleAndLimit() throws Exception {
        assertEquals(List.of("services.toml:5:1: error: module systemd-unit cannot enforce limit connections-per-source of service s:"
                        + " systemd bounds connections per source only for a socket that starts one process per connection"
                        + " (MaxConnectionsPerSource= with Accept=yes); set accept = true in on-demand"),
                errors(service("systemd-unit", "", "connections-per-source = 10\n")));
        List<String> inetd = errors(service("inetd", ACCEPT, "tasks = 10\ncpu = \"10%\"\nconnections = 5\nmemory = \"64MiB\"\n"));
        assertEquals(3, inetd.size(), inetd.toString());
        assertEquals("services.toml:8:1: error: module inetd cannot enforce limit tasks of service s: openbsd-inetd has no per-service"
                + " process count (RLIMIT_NPROC counts every process of the user); use systemd-unit", inetd.get(0));
        assertEquals("services.toml:10:1: error: module inetd cannot enforce limit connections of service s: openbsd-inetd bounds only"
                + " how many servers it starts per minute (the max of nowait.max), not how many run at once; use xinetd or systemd-unit",
                inetd.get(2));
        assertEquals(List.of("services.toml:7:1: error: module xinetd cannot enforce limit cpu of service s: xinetd has no per-service"
                        + " CPU share (its rlimit_cpu is CPU seconds, a lifetime, not a share); use systemd-unit",
                        "services.toml:8:1: error: module xinetd cannot enforce limit connections-per-source of service s: with accept"
                        + " = false xinetd hands all connections to one server (wait = yes), so it counts none; set accept = true in"
                        + " on-demand"),
                errors(service("xinetd", SHARED, "cpu = \"10%\"\nconnections-per-source = 2\n")));
    }

    @Test
    void eachModuleTakesWhatItEnforces() throws Exception {
        assertEquals(Map.of("memory", "67108864", "open-files", "64", "connections", "5", "connections-per-source", "2"),
                limits(service("xinetd", ACCEPT, "memory = \"64MiB\"\nopen-files = 64\nconnections = 5\nconnections-per-source = 2\n"))
                        .toMap());
        assertEquals(Map.of("memory", "67108864", "open-files", "64"),
                limits(service("inetd", ACCEPT, "memory = \"64MiB\"\nopen-files = 64\n")).toMap());
        // One process for all connections: the service keeps the bound itself, told by every module (BECKON_MAX_CONNECTIONS).
        for (String type : List.of("systemd-unit", "xinetd", "inetd")) {
            assertEquals(Map.of("connections", "5"), limits(service(type, SHARED, "connections = 5\n")).toMap(), type);
        }
        assertEquals(Map.of("connections", "5"), limits(service("systemd-unit", "", "connections = 5\n")).toMap(), "always on");
        // An external module gets every limit in its environment and answers for it itself.
        assertEquals(6, limits(service("my-module", "", "memory = \"64MiB\"\ntasks = 3\ncpu = \"5%\"\nopen-files = 64\n"
                + "connections = 5\nconnections-per-source = 2\n")).toMap().size());
    }

    @Test
    void sizesReadBackWhatTheyFormat() {
        for (long bytes : new long[] {1, 1023, 1024, 64L << 20, 3L << 30, (1L << 40) + 1}) {
            assertEquals(bytes, Sizes.parse(Sizes.format(bytes)));
        }
        assertEquals("256MiB", Sizes.format(256L << 20));
        assertEquals(1L << 40, Sizes.parse("1TiB"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999TiB"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1"));
    }
}
