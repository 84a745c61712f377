package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.external.ExternalModule;
import dev.beckon.activation.inetd.InetdModule;
import dev.beckon.activation.inetd.XinetdModule;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationModulesTest {
    @TempDir
    Path directory;

    @Test
    void theBuiltInModulesAreRegisteredWithTheServiceLoader() {
        for (String type : List.of("inetd", "xinetd")) {
            assertTrue(ActivationModules.builtIn(type).isPresent(), type + " is built in: its class must be listed in"
                    + " activation-modules/src/main/resources/META-INF/services/dev.beckon.activation.ActivationModule");
        }
        assertInstanceOf(InetdModule.class, ActivationModules.builtIn("inetd").orElseThrow());
        assertInstanceOf(XinetdModule.class, ActivationModules.builtIn("xinetd").orElseThrow());
    }

    @Test
    void aListedModuleThatCannotBeLoadedHidesNoOther() throws Exception {
        Path services = Files.createDirectories(directory.resolve("META-INF/services"));
        Files.writeString(services.resolve(ActivationModule.class.getName()), "dev.beckon.activation.NoSuchModule\n"
                + InetdModule.class.getName() + "\n" + XinetdModule.class.getName() + "\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {directory.toUri().toURL()}, getClass().getClassLoader())) {
            assertInstanceOf(XinetdModule.class, ActivationModules.forType("xinetd", List.of(), loader));
            assertInstanceOf(InetdModule.class, ActivationModules.forType("inetd", List.of(), loader));
        }
    }

    @Test
    void anExternalModuleIsTheFirstExecutableOfThatNameOnTheModulePath() throws Exception {
        Path first = Files.createDirectories(directory.resolve("first"));
        Path second = Files.createDirectories(directory.resolve("second"));
        Path state = directory.resolve("state");
        Files.writeString(first.resolve("my-module"), "#!/bin/sh\nexit 0\n");
        executable(second.resolve("my-module"));
        executable(state.resolve("modules").resolve("my-module"));
        executable(state.resolve("modules").resolve("only-in-state"));

        List<Path> path = ActivationModules.modulePath(first + ":" + second, state);
        ExternalModule found = assertInstanceOf(ExternalModule.class, ActivationModules.forType("my-module", path));
        assertEquals(second.resolve("my-module"), found.executable(), "a file that is not executable is passed over");
        assertEquals("my-module", found.type());
        assertEquals(state.resolve("modules").resolve("only-in-state"),
                ((ExternalModule) ActivationModules.forType("only-in-state", path)).executable());
    }

    @Test
    void theModulePathIsTheVariablesAbsoluteDirectoriesThenTheStateDirectorysModules() {
        Path state = Path.of("/var/lib/beckon");
        assertEquals(List.of(Path.of("/opt/modules"), Path.of("/usr/lib/beckon"), state.resolve("modules")),
                ActivationModules.modulePath("/opt/modules::relative/dir:/usr/lib/beckon:", state));
        assertEquals(List.of(state.resolve("modules")), ActivationModules.modulePath(null, state));
    }

    @Test
    void aBuiltInTypeWinsOverAnExecutableOfTheSameName() throws Exception {
        executable(directory.resolve("xinetd"));
        assertInstanceOf(XinetdModule.class, ActivationModules.forType("xinetd", List.of(directory), getLoaderWithBuiltIns()));
    }

    @Test
    void noModuleSaysWhereItLooked() throws Exception {
        Path state = directory.resolve("state");
        Files.createDirectories(directory.resolve("bin"));
        Files.writeString(directory.resolve("bin").resolve("missing-module"), "not executable");
        ActivationException none = assertThrows(ActivationException.class,
                () -> ActivationModules.forType("missing-module", ActivationModules.modulePath(directory.resolve("bin").toString(), state)));
        assertTrue(none.getMessage().startsWith("missing-module: no activation module of type missing-module: it is not built in (built in: "),
                none.getMessage());
        assertTrue(none.getMessage().endsWith(") and no executable missing-module is on the module path: "
                + directory.resolve("bin/missing-module") + " (not an executable file), " + state.resolve("modules/missing-module")
                + " (missing); put one there, or add a directory to BECKON_MODULE_PATH"), none.getMessage());
    }

    @Test
    void aTypeThatIsNotAModuleNameIsNeverLookedUp() throws Exception {
        executable(directory.resolve("evil"));
        ActivationException refused = assertThrows(ActivationException.class,
                () -> ActivationModules.forType("../evil", List.of(directory.resolve("sub"))));
        assertEquals("../evil: \"../evil\" is not a module name ([a-z0-9][a-z0-9-]*)", refused.getMessage());
    }

    /** The real registry plus one that lists the inetd modules, so this test holds whatever the real one lists. */
    private ClassLoader getLoaderWithBuiltIns() throws IOException {
        Path registry = Files.createDirectories(directory.resolve("registry/META-INF/services"));
        Files.writeString(registry.resolve(ActivationModule.class.getName()), XinetdModule.class.getName() + "\n");
        return new URLClassLoader(new URL[] {directory.resolve("registry").toUri().toURL()}, getClass().getClassLoader());
    }

    private static void executable(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
