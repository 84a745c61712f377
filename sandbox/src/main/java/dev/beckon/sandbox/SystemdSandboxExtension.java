package dev.beckon.sandbox;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class a private {@link SystemdUserManager}: declare a parameter of that type in a test,
 * {@code @BeforeAll} or constructor. One manager serves the whole class; it is stopped, and every
 * process it started killed, when the class is done.
 *
 * <pre>{@code
 * @ExtendWith(SystemdSandboxExtension.class)
 * class SocketTest {
 *     @Test
 *     void servesThroughSocket(SystemdUserManager systemd) { ... }
 * }
 * }</pre>
 */
public final class SystemdSandboxExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SystemdSandboxExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SystemdUserManager.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ExtensionContext classContext = context.getTestClass().isPresent() && context.getTestMethod().isPresent()
                ? context.getParent().orElse(context) : context;
        return classContext.getStore(NAMESPACE)
                .getOrComputeIfAbsent(RunningSandbox.class, key -> RunningSandbox.start(), RunningSandbox.class)
                .manager;
    }

    /** Stops the manager when JUnit closes the class's store. */
    private static final class RunningSandbox implements ExtensionContext.Store.CloseableResource {
        private final SystemdUserManager manager;
        private final Path directory;

        private RunningSandbox(SystemdUserManager manager, Path directory) {
            this.manager = manager;
            this.directory = directory;
        }

        static RunningSandbox start() {
            try {
                Path directory = Files.createTempDirectory("beckon-systemd-sandbox-");
                return new RunningSandbox(SystemdUserManager.start(directory), directory);
            } catch (IOException e) {
                throw new ParameterResolutionException("cannot start a systemd user manager sandbox: " + e, e);
            }
        }

        @Override
        public void close() throws IOException {
            manager.close();
            deleteRecursively(directory);
        }
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
