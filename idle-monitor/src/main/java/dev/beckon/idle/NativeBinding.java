package dev.beckon.idle;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;

/**
 * Loads the sd_notify binding ({@code dev.beckon.idle.binding.LibcDatagram} and jnr-ffi, with what jnr-ffi needs) in
 * a class loader of its own, from jars that travel inside this library's jar ({@value #HOME}, listed in
 * {@value #INDEX}), so that a service's class path holds this one jar.
 *
 * <p>Why not jnr-ffi on the class path, as a plain dependency: the JDK's first socket looks for a selector provider in
 * every jar of the class path, and jnr-ffi's ten jars made that cost every cold start about 4 ms, whether it notifies
 * or not. Its own loader also keeps jnr-ffi and its ASM apart from versions an application brings.
 *
 * <p>The jars are written to a new private temporary directory ({@code Files.createTempDirectory}: a fresh name, mode
 * 0700), opened by the loader, and removed once the binding is loaded: an open jar stays readable after its file is
 * gone, and nothing is left behind for each start. When this library was repackaged without them, jnr-ffi on the
 * application's class path is used instead.
 */
final class NativeBinding {
    static final String HOME = "META-INF/beckon-idle-monitor/sd-notify";
    static final String INDEX = "META-INF/beckon-idle-monitor/sd-notify.classpath";
    static final String IMPLEMENTATION = "dev.beckon.idle.binding.LibcDatagram";

    private NativeBinding() {}

    /**
     * The binding's class, initialised: libc is bound.
     *
     * @throws IOException when the jars cannot be written or the binding does not load; the message says which
     */
    static Class<?> load() throws IOException {
        ClassLoader library = NativeBinding.class.getClassLoader();
        List<String> jars = index(library);
        if (jars.isEmpty()) {
            return fromTheClassPath(library);
        }
        Path directory = Files.createTempDirectory("beckon-idle-sd-notify-");
        try {
            List<URL> urls = new ArrayList<>();
            for (String jar : jars) {
                Path file = directory.resolve(jar);
                try (InputStream in = library.getResourceAsStream(HOME + "/" + jar)) {
                    if (in == null) {
                        throw new IOException(INDEX + " names " + jar + ", which is not in " + HOME);
                    }
                    Files.copy(in, file);
                }
                urls.add(file.toUri().toURL());
            }
            BindingLoader loader = new BindingLoader(urls.toArray(new URL[0]), library);
            Class<?> binding;
            try {
                binding = Class.forName(IMPLEMENTATION, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IOException("cannot load the sd_notify binding from " + HOME + ": " + failureOf(e), e);
            }
            loader.openEveryJar();
            return binding;
        } finally {
            removeQuietly(directory);
        }
    }

    /** The jars' file names, from the index the build wrote; empty when there is no index. */
    private static List<String> index(ClassLoader library) throws IOException {
        List<String> jars = new ArrayList<>();
        try (InputStream in = library.getResourceAsStream(INDEX)) {
            if (in == null) {
                return jars;
            }
            String prefix = Path.of(HOME).getFileName() + "/";
            for (String entry : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split(":")) {
                String name = entry.startsWith(prefix) ? entry.substring(prefix.length()) : "";
                // Plain file names only: the index is ours, but a name is a path in a directory of ours.
                if (!name.endsWith(".jar") || name.contains("/") || name.startsWith(".")) {
                    throw new IOException(INDEX + " holds " + entry + ", not a jar of " + HOME);
                }
                jars.add(name);
            }
        }
        return jars;
    }

    private static Class<?> fromTheClassPath(ClassLoader library) throws IOException {
        try {
            return Class.forName(IMPLEMENTATION, true, library);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IOException("this copy of the idle-monitor has no " + INDEX + " (repackaged without its resources?)"
                    + " and jnr-ffi is not on the class path: " + failureOf(e), e);
        }
    }

    private static String failureOf(Throwable e) {
        Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
        return cause.toString();
    }

    private static void removeQuietly(Path directory) {
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            Log.warning("cannot remove " + directory + ", which held the sd_notify binding's jars: " + e);
        }
    }

    /**
     * jnr-ffi's jars over the platform class loader, so that nothing of the application's class path shows through;
     * the binding's own classes come from this library, the one package the application's loader never loads.
     */
    private static final class BindingLoader extends URLClassLoader {
        private static final String BINDING_PACKAGE = IMPLEMENTATION.substring(0, IMPLEMENTATION.lastIndexOf('.') + 1);

        private final ClassLoader library;

        BindingLoader(URL[] jars, ClassLoader library) {
            super("beckon-idle-sd-notify", jars, ClassLoader.getPlatformClassLoader());
            this.library = library;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (!name.startsWith(BINDING_PACKAGE)) {
                return super.findClass(name);
            }
            try (InputStream in = library.getResourceAsStream(name.replace('.', '/') + ".class")) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] bytes = in.readAllBytes();
                return defineClass(name, bytes, 0, bytes.length);
            } catch (IOException e) {
                throw new ClassNotFoundException(name, e);
            }
        }

        /** Makes the loader open each of its jars, which it otherwise does on the first lookup that reaches one. */
        void openEveryJar() throws IOException {
            Enumeration<URL> manifests = findResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                manifests.nextElement();
            }
        }
    }
}
