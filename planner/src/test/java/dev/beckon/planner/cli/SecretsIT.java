package dev.beckon.planner.cli;

import static dev.beckon.planner.testing.BeckonProcess.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.InetdDaemon;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code [services.X.secrets]} through {@code bin/beckon}: a systemd service reads its secrets from
 * {@code $CREDENTIALS_DIRECTORY} (LoadCredential= from the instance directory) and an inetd server from the same variable
 * (a 0400 file in its instance directory), each printing them to its client. Then the proof: the values are found
 * nowhere but in their credential files, not in the unit files, the inetd configuration, the profile's repository (every
 * object, packed or loose, decompressed), the journal, any process's command line, or anything beckon printed. A file
 * that is gone fails the deployment at the declaration with nothing changed; a changed secret is planned as
 * "(secret db changed)" and re-activates both services.
 */
@ExtendWith(SystemdSandboxExtension.class)
class SecretsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private final List<Run> runs = new ArrayList<>();

    @Test
    void secretsReachTheServicesAndNothingElse(SystemdUserManager systemd) throws Exception {
        String db = "db-" + random();
        String api = "api-" + random();
        Path model = Files.createDirectories(dir.resolve("model"));
        Path state = dir.resolve("state");
        Path home = dir.resolve("home");
        Path inetdConfig = Files.writeString(dir.resolve("inetd.conf"), "");
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(inetdConfig, dir.resolve("inetd"))) {
            int vaultPort = TestServices.freePort();
            int motdPort = TestServices.freePort();
            Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state) + """
                    [targets.local.containers.inetd]
                    config = "%s"
                    pid-file = "%s"
                    """.formatted(inetdConfig, inetd.pidFile()));
            Files.writeString(model.resolve("distribution.toml"), "vault = [\"local\"]\nmotd = [\"local\"]\n");
            // Each prints its secrets to the client (fd 0, the connection: standard output goes to a log), then waits for it to close.
            String print = "cat \"$CREDENTIALS_DIRECTORY/db\" >&0; echo >&0; cat \"$CREDENTIALS_DIRECTORY/api\" >&0; echo >&0; read x";
            Files.writeString(model.resolve("services.toml"), """
                    [services.vault]
                    type = "systemd-unit"
                    exec = ["/bin/sh", "-c", '%1$s']
                    on-demand = { listen = ["127.0.0.1:%2$d"], accept = true, pass = "stdin" }
                    secrets = { db = { file = "secrets/db" }, api = { command = ["/bin/cat", "api.txt"] } }

                    [services.motd]
                    type = "inetd"
                    exec = ["/bin/sh", "-c", '%1$s']
                    on-demand = { listen = ["127.0.0.1:%3$d"], accept = true, pass = "stdin" }
                    secrets = { db = { file = "secrets/db" }, api = { command = ["/bin/cat", "api.txt"] } }
                    """.formatted(print, vaultPort, motdPort));
            Path dbFile = writeSecret(model.resolve("secrets/db"), db);
            writeSecret(model.resolve("api.txt"), api + "\n");

            Run deploy = run("deploy", model.toString(), "--home", home.toString());
            assertEquals(0, deploy.exitCode(), deploy.output());
            String unit = Files.readString(systemd.unitDirectory().resolve("beckon-default-vault@.service"));
            // User scope: the unit names the instance's credentials directory (see CredentialDirectives), never a value.
            assertTrue(unit.contains("Environment=\"CREDENTIALS_DIRECTORY=" + state + "/store/") && unit.contains("/credentials\"\n"), unit);

            try (Socket vault = connect(vaultPort); Socket motd = connect(motdPort)) {
                // "api" came from its command without the final newline: each line is the value alone.
                assertEquals(List.of(db, api), lines(vault, 2), "the systemd service reads $CREDENTIALS_DIRECTORY");
                assertEquals(List.of(db, api), lines(motd, 2), "the inetd server reads $CREDENTIALS_DIRECTORY");
                // While both run: no process's command line carries a value.
                assertNowhere(db, commandLines(), "a process's command line");
                assertNowhere(api, commandLines(), "a process's command line");
            }
            List<Path> credentials = filesHolding(state, db);
            assertEquals(2, credentials.size(), "one db file for each instance: " + credentials);
            for (Path credential : credentials) {
                assertEquals("credentials/db", credential.getParent().getFileName() + "/" + credential.getFileName(), credential.toString());
                assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(credential, LinkOption.NOFOLLOW_LINKS)));
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(credential.getParent())));
            }

            // A file that is gone: one line at its declaration, exit 1, the targets as they were.
            String unitsBefore = systemd.unitSnapshot("beckon-");
            String inetdBefore = Files.readString(inetdConfig);
            Path moved = Files.move(dbFile, dbFile.resolveSibling("db.moved"));
            Run missing = run("deploy", model.toString(), "--home", home.toString());
            assertEquals(1, missing.exitCode(), missing.output());
            assertEquals(1, missing.err().lines().count(), missing.err());
            // Either service's declaration: whichever is resolved first stops the plan.
            assertTrue(java.util.regex.Pattern.compile("^beckon: error: " + java.util.regex.Pattern.quote(model.resolve("services.toml").toString())
                    + ":(5|11):13: secret db of service (vault|motd): its file .* does not exist; .*Nothing was changed\\.\n$")
                    .matcher(missing.err()).find(), missing.err());
            assertEquals(unitsBefore, systemd.unitSnapshot("beckon-"));
            assertEquals(inetdBefore, Files.readString(inetdConfig));
            Files.move(moved, dbFile);

            // A changed secret: planned as such, and each service re-activated with it.
            String changed = "db-" + random();
            writeSecret(dbFile, changed);
            Run plan = run("plan", model.toString(), "--home", home.toString());
            assertEquals(0, plan.exitCode(), plan.output());
            assertTrue(plan.out().contains("  # vault@local will be changed\n") && plan.out().contains("  # motd@local will be changed\n"),
                    plan.output());
            assertEquals(2, plan.out().split("\\(secret db changed\\)", -1).length - 1, plan.output());
            assertFalse(plan.out().contains("secret api"), plan.output());
            Run redeploy = run("deploy", model.toString(), "--home", home.toString());
            assertEquals(0, redeploy.exitCode(), redeploy.output());
            try (Socket vault = connect(vaultPort); Socket motd = connect(motdPort)) {
                assertEquals(List.of(changed, api), lines(vault, 2), "the systemd service got the new value");
                assertEquals(List.of(changed, api), lines(motd, 2), "the inetd server got the new value");
            }

            for (String value : List.of(db, api, changed)) {
                assertNowhere(value, tree(systemd.unitDirectory()), "the unit files");
                assertNowhere(value, Files.readString(inetdConfig), "the inetd configuration");
                assertNowhere(value, inetd.log().orElse(""), "inetd's log");
                assertNowhere(value, profileRepository(home.resolve("profiles/default")), "the profile's repository");
                assertNowhere(value, journal(systemd), "the journal");
                assertNowhere(value, commandLines(), "a process's command line");
                for (Run each : runs) {
                    assertNowhere(value, each.out() + each.err(), "what beckon printed");
                }
                for (Path holder : filesHolding(state, value)) {
                    assertEquals("credentials", holder.getParent().getFileName().toString(), "only a credential file holds a value: " + holder);
                }
            }
            assertEquals(Set.of(), Set.copyOf(filesHolding(dir.resolve("home"), changed)), "beckon's home holds no value");
        }
    }

    private Run run(String... args) {
        Run run = beckon(args);
        runs.add(run);
        return run;
    }

    private static String random() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static Path writeSecret(Path file, String value) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, value);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) PATIENCE.toMillis());
        socket.setSoTimeout((int) PATIENCE.toMillis());
        return socket;
    }

    private static List<String> lines(Socket socket, int count) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(in.readLine());
        }
        return lines;
    }

    private static void assertNowhere(String value, String text, String where) {
        assertFalse(text.contains(value), "the secret's value is in " + where);
    }

    /** Every regular file under {@code root} that holds {@code value}. */
    private static List<Path> filesHolding(Path root, String value) throws IOException {
        byte[] needle = value.getBytes(StandardCharsets.UTF_8);
        List<Path> found = new ArrayList<>();
        if (!Files.exists(root)) {
            return found;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
                if (indexOf(Files.readAllBytes(file), needle) >= 0) {
                    found.add(file);
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Every file under {@code root}, as text (bytes read as Latin-1, so any byte sequence survives). */
    private static String tree(Path root) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
                all.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).append('\n');
            }
        }
        return all.toString();
    }

    /** The repository's files as they are, and every object in it decompressed: its history with patches, and each object's content. */
    private static String profileRepository(Path repository) throws Exception {
        assertTrue(Files.isDirectory(repository.resolve("objects")), "the profile is a git repository: " + repository);
        return tree(repository)
                + output(List.of("git", "--git-dir=" + repository, "log", "-p", "--all"))
                + output(List.of("git", "--git-dir=" + repository, "cat-file", "--batch-all-objects", "--batch"));
    }

    private static String journal(SystemdUserManager systemd) throws Exception {
        return tree(systemd.journalDirectory()) + output(List.of("journalctl", "--directory", systemd.journalDirectory().toString(),
                "--no-pager", "-o", "export"));
    }

    private static String commandLines() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    all.append(new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.ISO_8859_1)).append('\n');
                } catch (IOException gone) {
                    // It ended meanwhile.
                }
            }
        }
        return all.toString();
    }

    private static String output(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        process.getInputStream().transferTo(out);
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
