package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.external.ExternalModule;
import dev.beckon.activation.inetd.InetdModule;
import dev.beckon.activation.inetd.XinetdModule;
import dev.beckon.activation.systemd.SystemdUnitModule;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.SocketPassing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance's secrets on its target: 0400 files in a 0700 directory of the instance directory, replaced atomically; and
 * every module points the service at them by name, never by value.
 */
class CredentialsTest {
    @TempDir
    Path dir;

    private ServiceInstance instance(String type, Map<String, String> container, List<String> secrets) {
        return new ServiceInstance("p", "s", "local", type, "", List.of("/bin/s"), new TreeMap<>(), new TreeMap<>(Map.of("main", 7000)),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 7000)),
                        Duration.ZERO, true, SocketPassing.STDIN)),
                Optional.empty(), dir.resolve("store/abc-s"), new TreeMap<>(container), dir.resolve("state")).withSecrets(secrets);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void valuesAreWrittenPrivatelyReplacedAndPruned() throws Exception {
        Path instance = Files.createDirectories(dir.resolve("store/abc-s"));
        assertEquals(List.of("api", "db"), Credentials.write(instance, new TreeMap<>(Map.of("db", bytes("one"), "api", bytes("two")))));
        Path db = instance.resolve("credentials/db");
        assertArrayEquals(bytes("one"), Files.readAllBytes(db));
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db.getParent())));
        assertEquals(List.of(), Credentials.write(instance, new TreeMap<>(Map.of("db", bytes("one"), "api", bytes("two")))),
                "the same values again change nothing");
        assertEquals(List.of("db"), Credentials.write(instance, new TreeMap<>(Map.of("db", bytes("three")))));
        assertArrayEquals(bytes("three"), Files.readAllBytes(db));
        assertFalse(Files.exists(instance.resolve("credentials/api")), "a secret the instance no longer has is removed");
        assertEquals(List.of("api"), Credentials.missing(instance, List.of("db", "api")));
    }

    @Test
    void aNameThatIsAPathIsRefused() throws Exception {
        Path instance = Files.createDirectories(dir.resolve("store/abc-s"));
        assertThrows(java.io.IOException.class, () -> Credentials.write(instance, Map.of("../escape", bytes("x"))));
        assertFalse(Files.exists(dir.resolve("store/escape")));
    }

    @Test
    void systemSystemdUnitsLoadCredentialsFromTheInstanceDirectory() {
        String unit = new SystemdUnitModule().render(instance("systemd-unit", Map.of("scope", "system"), List.of("db", "api")))
                .file("beckon-p-s@.service").orElseThrow().content();
        String credentials = dir.resolve("store/abc-s/credentials").toString();
        assertTrue(unit.contains("LoadCredential=api:" + credentials + "/api\nLoadCredential=db:" + credentials + "/db\n"), unit);
        assertFalse(unit.contains("CREDENTIALS_DIRECTORY"), unit);
    }

    @Test
    void aPercentInThePathIsNotASpecifier() {
        ServiceInstance instance = instance("systemd-unit", Map.of("scope", "system"), List.of("db"));
        ServiceInstance odd = new ServiceInstance(instance.profile(), instance.service(), instance.target(), instance.type(), "",
                instance.exec(), instance.environment(), instance.ports(), instance.onDemand(), Optional.empty(),
                dir.resolve("100%"), instance.container(), instance.stateDirectory()).withSecrets(List.of("db"));
        String unit = new SystemdUnitModule().render(odd).file("beckon-p-s@.service").orElseThrow().content();
        assertTrue(unit.contains("LoadCredential=db:" + dir + "/100%%/credentials/db\n"), unit);
    }

    @Test
    void userSystemdUnitsNameTheCredentialsDirectory() {
        String unit = new SystemdUnitModule().render(instance("systemd-unit", Map.of(), List.of("db")))
                .file("beckon-p-s@.service").orElseThrow().content();
        assertTrue(unit.contains("Environment=\"CREDENTIALS_DIRECTORY=" + dir.resolve("store/abc-s/credentials") + "\"\n"), unit);
        assertFalse(unit.contains("LoadCredential"), unit);
    }

    @Test
    void withoutSecretsNothingIsAdded() {
        for (RenderedFile file : new SystemdUnitModule().render(instance("systemd-unit", Map.of("scope", "system"), List.of())).files()) {
            assertFalse(file.content().contains("Credential") || file.content().contains("CREDENTIALS_DIRECTORY"), file.content());
        }
        assertFalse(new InetdModule().render(instance("inetd", Map.of(), List.of())).file(Launcher.FILE_NAME).orElseThrow().content()
                .contains("CREDENTIALS_DIRECTORY"));
    }

    @Test
    void inetdXinetdAndExternalLaunchersExportTheCredentialsDirectory() {
        String line = "export CREDENTIALS_DIRECTORY='" + dir.resolve("store/abc-s/credentials") + "'\n";
        List<Rendering> renderings = List.of(
                new InetdModule().render(instance("inetd", Map.of(), List.of("db"))),
                new XinetdModule().render(instance("xinetd", Map.of(), List.of("db"))),
                new ExternalModule("my-module", dir.resolve("module")).render(instance("my-module", Map.of(), List.of("db"))));
        for (Rendering rendering : renderings) {
            String launcher = rendering.file(Launcher.FILE_NAME).orElseThrow().content();
            assertTrue(launcher.contains(line), launcher);
        }
        assertTrue(renderings.get(2).file(ExternalModule.ENVIRONMENT_FILE).orElseThrow().content().contains(line));
    }
}
