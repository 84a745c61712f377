package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What systemd would refuse to load, or Linux to start, is refused by validate at the model's line:
 * the limits measured with {@code systemd-analyze verify} on systemd 252 (see {@link SystemdLimits}).
 */
class SystemdLimitsTest {
    private static final String TARGET = """
            [targets.local]
            host = "localhost"
            containers = { systemd-unit = {}, inetd = {} }
            [targets.other]
            host = "localhost"
            containers = { systemd-unit = { scope = "system" }, inetd = { config = "/etc/other-inetd.conf" } }
            """;

    @TempDir
    Path dir;

    private List<String> errors(String services) throws IOException {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "a = [\"local\", \"other\"]\n");
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelLoader.load(dir));
        return e.diagnostics().stream().map(d -> d.toString().replace(dir + "/", "")).toList();
    }

    private void loads(String services) throws Exception {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), TARGET);
        Files.writeString(dir.resolve("distribution.toml"), "a = [\"local\", \"other\"]\n");
        ModelLoader.load(dir);
    }

    @Test
    void aDescriptionLongerThanAUnitFileLineIsRefusedAtTheDescription() throws Exception {
        String description = "d".repeat(2_000_000);
        assertEquals(List.of("services.toml:3:15: error: the description of service a takes " + (12 + 2_000_000 + 512)
                        + " bytes on its line of the unit file, and systemd refuses a unit with a line of 1048576 bytes or more;"
                        + " shorten it"),
                errors("[services.a]\ntype = \"systemd-unit\"\ndescription = \"" + description + "\"\nexec = [\"/bin/a\"]\n"));
    }

    @Test
    void percentSignsCountTwiceBecauseTheyAreDoubledInTheUnit() throws Exception {
        // 600,000 bytes as written, 1,200,000 in the unit.
        List<String> errors = errors("[services.a]\ntype = \"systemd-unit\"\ndescription = \"" + "%".repeat(600_000)
                + "\"\nexec = [\"/bin/a\"]\n");
        assertEquals(1, errors.size(), errors.toString());
        assertEquals(true, errors.get(0).contains("takes 1200524 bytes"), errors.toString());
        loads("[services.a]\ntype = \"systemd-unit\"\ndescription = \"" + "d".repeat(600_000) + "\"\nexec = [\"/bin/a\"]\n");
    }

    @Test
    void execArgumentsTotallingMoreThanAUnitFileLineAreRefusedOnceAtExec() throws Exception {
        // Nine arguments of 120,000 bytes: each fits in one argument, together they do not fit on one line.
        List<String> exec = new ArrayList<>(List.of("\"/bin/a\""));
        for (int i = 0; i < 9; i++) {
            exec.add("\"" + "x".repeat(120_000) + "\"");
        }
        long line = "ExecStart=".length() + 9 + (2 + 6) + 9 * (2 + 120_000L);
        long total = 7 + 8 + 9 * (120_001L + 8);
        assertEquals(List.of(
                "services.toml:3:8: error: the command line of service a takes " + total + " bytes with its environment on target"
                        + " local, counting 4095 for {package}; beckon passes at most 1048576 (Linux refuses to start a program"
                        + " whose arguments and environment exceed a quarter of its stack limit)",
                "services.toml:3:8: error: exec of service a takes " + line + " bytes on its ExecStart= line on target local,"
                        + " counting 4095 for {package}; systemd refuses a unit with a line of 1048576 bytes or more"),
                errors("[services.a]\ntype = \"systemd-unit\"\nexec = [" + String.join(", ", exec) + "]\n"));
    }

    @Test
    void anEnvironmentTooLargeForLinuxToStartTheProgramIsRefusedForEveryModule() throws Exception {
        StringBuilder environment = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            environment.append(i == 0 ? "" : ", ").append("V").append(i < 10 ? "0" : "").append(i).append(" = \"")
                    .append("e".repeat(100_000)).append('"');
        }
        List<String> errors = errors("[services.a]\ntype = \"inetd\"\nexec = [\"/bin/a\"]\nenvironment = { " + environment + " }\n");
        assertEquals(1, errors.size(), errors.toString());
        assertEquals(true, errors.get(0).startsWith("services.toml:3:8: error: the command line of service a takes "),
                errors.toString());
    }

    @Test
    void aProgramPathThatSystemdCannotTakeIsRefusedWithWhy() throws Exception {
        for (String[] program : new String[][] {
                {"bin/run", "is neither an absolute path nor a plain program name"},
                {"./run", "is neither an absolute path nor a plain program name"},
                {"/opt/app/", "ends with '/'"},
                {"/opt/it's", "holds '''"},
                {"/opt/back\\\\slash", "holds '\\'"},
                {"/opt/tab\\there", "holds a control character"},
                {"/opt/" + "n".repeat(256), "has a path component longer than 255 bytes"}}) {
            List<String> errors = errors("[services.a]\ntype = \"systemd-unit\"\nexec = [\"" + program[0] + "\"]\n");
            assertEquals(1, errors.size(), errors.toString());
            assertEquals(true, errors.get(0).startsWith("services.toml:3:8: error: the program ")
                    && errors.get(0).contains(" of service a " + program[1]), errors.toString());
        }
        loads("[services.a]\ntype = \"systemd-unit\"\nexec = [\"java\", \"-version\"]\n");
        loads("[services.a]\ntype = \"inetd\"\nexec = [\"bin/run\"]\n");
    }

    @Test
    void aPackageWhoseNameSystemdCannotTakeAsAProgramIsRefused() throws Exception {
        Files.writeString(dir.resolve("it's"), "#!/bin/sh\n");
        List<String> errors = errors("[services.a]\ntype = \"systemd-unit\"\npackage = \"it's\"\nexec = [\"{package}\"]\n");
        assertEquals(List.of("services.toml:4:8: error: the program \"/store/HASH-it's\" of service a holds ''', which systemd does"
                + " not take in the path of a program (quotes, backslashes and control characters)"), errors);
    }
}
