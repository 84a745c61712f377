package dev.beckon.idle;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** Command lines that run a test service's main class as a real child JVM, the way a service manager would. */
final class ChildJvm {
    static final String ADD_OPENS = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";

    private ChildJvm() {}

    /** {@code java [jvmOptions] -cp CLASSPATH main args}, with this JVM's java and class path. */
    static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The same cheap start-up flags for every test service: they start many times.
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath(), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * This JVM's class path less jnr-ffi and what it needs: the module's classes, its test classes and the test
     * libraries, as a service holds the library's jar alone, whose sd_notify binding travels inside it (see {@link
     * NativeBinding}). Surefire passes it in {@code java.class.path}; when it is a manifest-only jar instead (its other
     * setting), the jar's {@code Class-Path} is the real one.
     */
    static String classPath() {
        List<String> paths = new ArrayList<>();
        for (String path : surefireClassPath()) {
            String normalized = path.replace(File.separatorChar, '/');
            if (!normalized.contains("/com/github/jnr/") && !normalized.contains("/org/ow2/asm/")) {
                paths.add(path);
            }
        }
        return String.join(File.pathSeparator, paths);
    }

    private static List<String> surefireClassPath() {
        String classPath = System.getProperty("java.class.path");
        String[] entries = classPath.split(File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar")) {
            try (JarFile jar = new JarFile(entries[0])) {
                Manifest manifest = jar.getManifest();
                String listed = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                if (listed != null) {
                    List<String> paths = new ArrayList<>();
                    for (String url : listed.trim().split("\\s+")) {
                        paths.add(Path.of(java.net.URI.create(url)).toString());
                    }
                    return paths;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.of(entries);
    }

    /** A shell line for unit files and inetd configurations: every word single-quoted. */
    static String shellLine(List<String> command) {
        List<String> quoted = new ArrayList<>();
        for (String word : command) {
            quoted.add("'" + word.replace("'", "'\\''") + "'");
        }
        return String.join(" ", quoted);
    }

    /** The service's log files ({@code service-PID.log}) in a directory, read whole. */
    static String logs(Path directory) {
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("service-[0-9]+\\.log")).sorted().toList()) {
                all.append("== ").append(file.getFileName()).append('\n').append(Files.readString(file));
            }
        } catch (IOException e) {
            all.append("(cannot read logs: ").append(e).append(')');
        }
        return all.toString();
    }
}
