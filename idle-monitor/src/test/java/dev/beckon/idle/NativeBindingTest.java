package dev.beckon.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sd_notify binding comes from the jars inside the library's own (the build puts them in its classes), in a loader
 * that sees nothing of the class path, and leaves no file behind. {@link SdNotifyTest} and {@link SystemdTest} send
 * through it; {@link SocketActivateTest} proves it is not loaded without {@code NOTIFY_SOCKET}.
 */
class NativeBindingTest {
    @Test
    void bindsLibcInALoaderOfItsOwnFromTheJarsInsideTheLibrary() throws Exception {
        List<Path> before = bindingDirectories();

        Class<?> binding = NativeBinding.load();

        ClassLoader loader = binding.getClassLoader();
        assertNotSame(NativeBinding.class.getClassLoader(), loader);
        assertEquals("beckon-idle-sd-notify", loader.getName());
        // jnr-ffi is on this test's class path too (the library's optional dependency); the binding must not use it.
        Class<?> jnrOfTheBinding = Class.forName("jnr.ffi.LibraryLoader", false, loader);
        Class<?> jnrOfTheClassPath = Class.forName("jnr.ffi.LibraryLoader", false, NativeBinding.class.getClassLoader());
        assertNotSame(jnrOfTheClassPath, jnrOfTheBinding);
        // Nothing of the application's class path shows through.
        assertNull(loader.getResource(NativeBindingTest.class.getName().replace('.', '/') + ".class"));
        assertEquals(before, bindingDirectories(), "the jars' directory was left behind");
    }

    @Test
    void aBindingLoadedStillSendsAfterItsJarsAreRemoved(@org.junit.jupiter.api.io.TempDir Path directory) throws Exception {
        // The jars' files are gone once loaded; what jnr-ffi loads later comes from the jars the loader holds open.
        NotifyDatagram.load();
        IOException error = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> NotifyDatagram.send(NotifyDatagram.SocketName.parse(directory.resolve("gone").toString()), SdNotify.READY));
        assertTrue(error.getMessage().contains("errno"), error.getMessage());
    }

    private static List<Path> bindingDirectories() throws IOException {
        try (var entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(path -> path.getFileName().toString().startsWith("beckon-idle-sd-notify-")).sorted().toList();
        }
    }
}
