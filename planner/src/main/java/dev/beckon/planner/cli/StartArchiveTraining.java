package dev.beckon.planner.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import picocli.CommandLine;

/**
 * Not a command: the program {@code bin/beckon} runs once per jar and JDK, in the background and under
 * {@code -XX:DumpLoadedClassList}, so that the classes beckon's commands load go into the class-data-sharing archive
 * every later start maps instead of loading them from the jars.
 *
 * <p>It runs the commands people run most ({@code --version}, {@code validate}, {@code plan}) in this process on a
 * one-service model of its own, then loads (without initialising) every class of beckon's own jars and of the D-Bus
 * library, so that a deploy or a rollback, and any command that asks systemd, finds its classes archived too. {@code bin/beckon} gives it an empty state directory and no service
 * manager to reach, so it changes nothing anywhere: its plan fails at the first target, after loading what planning
 * loads. Its output goes nowhere; its exit status says whether it got to the end.
 */
public final class StartArchiveTraining {
    private static final String SERVICES = """
            [services.greeter]
            type = "systemd-unit"
            package = "package"
            exec = ["{package}/run"]
            ports = { greeting = 18080 }

            [services.greeter.on-demand]
            listen = ["127.0.0.1:{ports.greeting}"]
            idle-timeout = "5s"
            """;
    private static final String INFRASTRUCTURE = """
            [targets.local]
            host = "localhost"
            hostname = "127.0.0.1"

            [targets.local.containers.systemd-unit]
            scope = "user"
            """;
    private static final String DISTRIBUTION = "greeter = [\"local\"]\n";

    private StartArchiveTraining() {}

    /** {@code WORK}: an empty directory of the caller's for the model. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: StartArchiveTraining WORK");
            System.exit(ExitCodes.USAGE);
        }
        Path model = Path.of(args[0]).resolve("model");
        Files.createDirectories(model.resolve("package"));
        Files.writeString(model.resolve("package/run"), "#!/bin/sh\nexit 0\n");
        Files.writeString(model.resolve("services.toml"), SERVICES);
        Files.writeString(model.resolve("infrastructure.toml"), INFRASTRUCTURE);
        Files.writeString(model.resolve("distribution.toml"), DISTRIBUTION);
        run("--version");
        run("--help");
        run("validate", model.toString());
        run("plan", model.toString());
        loadBeckonClasses();
        System.exit(ExitCodes.OK);
    }

    private static void run(String... args) {
        CommandLine commandLine = BeckonCommand.commandLine(args);
        PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
        commandLine.setOut(nowhere);
        commandLine.setErr(nowhere);
        commandLine.execute(args);
    }

    /**
     * Loads every class of beckon's own jars (found by where one class of each module came from), each as far as it
     * links; the libraries' classes they need come along.
     */
    private static void loadBeckonClasses() throws IOException {
        ClassLoader loader = StartArchiveTraining.class.getClassLoader();
        Set<Path> jars = new LinkedHashSet<>();
        for (Class<?> anchor : List.of(BeckonCommand.class, dev.beckon.models.ModelLoader.class,
                dev.beckon.activation.ActivationModule.class, dev.beckon.idle.DurationText.class,
                dev.beckon.sandbox.SystemdUserManager.class)) {
            codeSource(anchor).filter(Files::isRegularFile).ifPresent(jars::add);
        }
        for (Path jar : jars) {
            loadClassesOf(jar, "dev/beckon/", loader);
        }
        // The D-Bus library, whose connection the training cannot make (it has no bus to reach): without this, the
        // first command that asks systemd loaded some 200 of its classes from the jars, about 0.3 s of every plan.
        Map<String, String> libraries = Map.of("org.freedesktop.dbus.connections.impl.DBusConnection", "org/freedesktop/dbus/",
                "org.freedesktop.dbus.transport.jre.NativeTransportProvider", "org/freedesktop/dbus/",
                "org.slf4j.LoggerFactory", "org/slf4j/", "org.slf4j.simple.SimpleServiceProvider", "org/slf4j/simple/");
        for (Map.Entry<String, String> library : libraries.entrySet()) {
            try {
                Optional<Path> jar = codeSource(Class.forName(library.getKey(), false, loader)).filter(Files::isRegularFile);
                if (jar.isPresent()) {
                    loadClassesOf(jar.get(), library.getValue(), loader);
                }
            } catch (ClassNotFoundException | LinkageError e) {
                // Not beside beckon: nothing of it to archive.
            }
        }
    }

    /** Loads, as far as each links, every class in {@code jar} whose name starts with {@code prefix} (a path, {@code a/b/}). */
    private static void loadClassesOf(Path jar, String prefix, ClassLoader loader) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                String entry = entries.nextElement().getName();
                if (entry.startsWith(prefix) && entry.endsWith(".class") && !entry.endsWith("-info.class")) {
                    load(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'), loader);
                }
            }
        }
    }

    private static Optional<Path> codeSource(Class<?> type) {
        try {
            var source = type.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null && "file".equals(source.getLocation().getProtocol())) {
                return Optional.of(Path.of(source.getLocation().toURI()));
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // Not a file: nothing of it to load.
        }
        return Optional.empty();
    }

    private static void load(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
        } catch (LinkageError | ClassNotFoundException e) {
            // A class whose optional dependency is absent stays out of the archive; nothing else depends on that.
        }
    }
}
