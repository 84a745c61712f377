package dev.beckon.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hello-world example deployed by {@code bin/beckon} into a real systemd user manager gets a class-data
 * archive made by a training start on the target; the JVM the first connection starts maps it and loads the
 * server's own classes from it; the plan says when the JDK it was made with changed, and the next deployment
 * makes it again; a corrupt archive is ignored and the service still answers; the model's
 * {@code class-data-archive = false} leaves it out.
 */
@ExtendWith(SystemdSandboxExtension.class)
class ClassDataArchiveIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final String SERVICE = "beckon-default-hello.service";

    @Test
    void theArchiveIsMadeAtDeployUsedRemadeWhenTheJdkChangesAndIgnoredWhenCorrupt(SystemdUserManager systemd, @TempDir Path dir)
            throws Exception {
        int port = Clients.freePort();
        Path classLoading = dir.resolve("class-load.log");
        Path model = Files.createDirectories(dir.resolve("model"));
        writeModel(model, port, classLoading, "");
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.local]
                host = "localhost"
                hostname = "127.0.0.1"
                state-dir = "%s"
                [targets.local.containers.systemd-unit]
                scope = "user"
                bus = "%s"
                journal-directory = "%s"
                """.formatted(dir.resolve("state"), systemd.busAddress(), systemd.journalDirectory()));
        String home = dir.resolve("home").toString();

        BeckonProcess.Run deployed = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, deployed.exitCode(), deployed.output());
        assertTrue(deployed.output().contains("made a class-data archive for hello@local"), deployed.output());
        System.out.println(deployed.output());
        String execStart = Files.readString(systemd.unitDirectory().resolve(SERVICE));
        Matcher named = Pattern.compile("\"-XX:SharedArchiveFile=([^\"]+)\" \"-Xshare:auto\"").matcher(execStart);
        assertTrue(named.find(), "ExecStart= names the archive: " + execStart);
        Path archive = Path.of(named.group(1));
        assertTrue(archive.startsWith(dir.resolve("state/store")), "the archive is in the target's store: " + archive);
        assertTrue(Files.size(archive) > 0);

        assertEquals("hello from local\n", Clients.greeting(port));
        assertTrue(mapsOfService(systemd).contains(archive.toString()), "the started JVM maps the archive");
        assertTrue(awaitLine(classLoading, "dev.beckon.examples.hello.HelloServer source: shared objects file"),
                "the server's own class comes from the archive");
        assertTrue(beckon("plan", model.toString(), "--home", home).output().contains("No changes"), "a deployed archive is no change");

        // Another JDK build, simulated: the record beside the archive names a build that is not the one installed.
        Path record = archive.resolveSibling("class-data.jdk");
        String madeWith = Files.readString(record);
        Files.writeString(record, madeWith.replaceFirst("jdk [0-9a-f]+", "jdk " + "0".repeat(64)));
        BeckonProcess.Run plan = beckon("plan", model.toString(), "--home", home);
        assertTrue(plan.output().contains("(class-data archive: JDK changed)"), plan.output());
        BeckonProcess.Run redeployed = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, redeployed.exitCode(), redeployed.output());
        assertTrue(redeployed.output().contains("made a class-data archive for hello@local"), redeployed.output());
        assertEquals(madeWith.lines().findFirst(), Files.readString(record).lines().findFirst(), "remade with the JDK installed");
        assertTrue(beckon("plan", model.toString(), "--home", home).output().contains("No changes"));

        // Corrupt: the archive's bytes are garbage. The JVM rejects it and starts without it.
        stop(systemd);
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] garbage = new byte[(int) Files.size(archive)];
        new java.util.Random(19).nextBytes(garbage);
        Files.write(archive, garbage);
        Files.deleteIfExists(classLoading);
        assertEquals("hello from local\n", Clients.greeting(port), "a corrupt archive does not stop the service");
        assertFalse(mapsOfService(systemd).contains(archive.toString()), "the JVM did not map the corrupt archive");
        assertTrue(beckon("plan", model.toString(), "--home", home).output().contains("(class-data archive: damaged)"));

        // Turned off in the model: no archive on the command line.
        stop(systemd);
        writeModel(model, port, classLoading, "class-data-archive = false\n");
        BeckonProcess.Run off = beckon("deploy", model.toString(), "--home", home);
        assertEquals(0, off.exitCode(), off.output());
        assertFalse(off.output().contains("class-data archive"), off.output());
        assertFalse(Files.readString(systemd.unitDirectory().resolve(SERVICE)).contains("SharedArchiveFile"));
        assertEquals("hello from local\n", Clients.greeting(port));
    }

    /** The example's services.toml, its port moved to a free one, the JVM logging where it loads classes from. */
    private static void writeModel(Path model, int port, Path classLoading, String extra) throws IOException {
        String original = Files.readString(EXAMPLE.resolve("services.toml"));
        String services = original
                .replace("package = \"target/hello-server\"", extra + "package = \"" + EXAMPLE.resolve("target/hello-server") + "\"")
                .replace("ports = { greeting = 18080 }", "ports = { greeting = " + port + " }")
                .replace("\"-XX:+UseSerialGC\",", "\"-XX:+UseSerialGC\", \"-Xlog:class+load=info:file=" + classLoading + "\",");
        assertFalse(services.equals(original) || services.contains("18080") || !services.contains("-Xlog"),
                "example-systems/hello-world/services.toml changed its package, port or JVM options; update this test");
        Files.writeString(model.resolve("services.toml"), services);
        Files.copy(EXAMPLE.resolve("distribution.toml"), model.resolve("distribution.toml"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static BeckonProcess.Run beckon(String... args) {
        return BeckonProcess.withEnvironment(Map.of()).run(args);
    }

    private static String mapsOfService(SystemdUserManager systemd) throws IOException {
        String pid = systemd.systemctl("show", "--property=MainPID", "--value", SERVICE).stdout().strip();
        assertFalse(pid.equals("0") || pid.isEmpty(), "the service runs after its first connection");
        return Files.readString(Path.of("/proc", pid, "maps"));
    }

    private static void stop(SystemdUserManager systemd) {
        assertTrue(systemd.systemctl("stop", SERVICE).succeeded());
    }

    private static boolean awaitLine(Path log, String line) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.contains(line))) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
