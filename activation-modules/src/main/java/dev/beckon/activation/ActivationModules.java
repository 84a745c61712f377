package dev.beckon.activation;

import dev.beckon.models.Messages;
import dev.beckon.activation.external.ExternalModule;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Finds the activation module for a type name: a built-in one (found with {@link ServiceLoader}),
 * else an external one, an executable of that name on the module path ({@value #MODULE_PATH_VARIABLE},
 * then {@code STATE_DIR/modules}). A built-in type always wins over an executable of the same name.
 */
public final class ActivationModules {
    /** The variable naming the directories to search for external modules, separated by colons. */
    public static final String MODULE_PATH_VARIABLE = "BECKON_MODULE_PATH";
    /** The directory of a target's state directory that holds its external modules. */
    public static final String MODULES_DIRECTORY = "modules";
    private static final Pattern TYPE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private ActivationModules() {}

    /**
     * The module of that type: built in, else found on {@link #modulePath(Path)}.
     *
     * @throws ActivationException when there is none; the message says where it looked
     */
    public static ActivationModule forType(String type, Path stateDirectory) throws ActivationException {
        return forType(type, modulePath(stateDirectory));
    }

    /**
     * The module of that type: built in, else the first executable named {@code type} in the directories.
     *
     * @throws ActivationException when there is none; the message lists the built-in types and every place it looked
     */
    public static ActivationModule forType(String type, List<Path> modulePath) throws ActivationException {
        return forType(type, modulePath, ActivationModules.class.getClassLoader());
    }

    static ActivationModule forType(String type, List<Path> modulePath, ClassLoader loader) throws ActivationException {
        if (!TYPE.matcher(type).matches()) {
            throw new ActivationException(type, Messages.quote(type) + " is not a module name ([a-z0-9][a-z0-9-]*)");
        }
        List<String> builtIn = new ArrayList<>();
        Optional<ActivationModule> module = builtIn(type, loader, builtIn);
        if (module.isPresent()) {
            return module.get();
        }
        List<String> looked = new ArrayList<>();
        for (Path directory : modulePath) {
            Path candidate = directory.resolve(type);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return new ExternalModule(type, candidate.toAbsolutePath());
            }
            looked.add(candidate + (Files.exists(candidate) ? " (not an executable file)" : " (missing)"));
        }
        throw new ActivationException(type, "no activation module of type " + type + ": it is not built in (built in: "
                + String.join(", ", new TreeSet<>(builtIn)) + ") and no executable " + type + " is on the module path: "
                + (looked.isEmpty() ? "(empty)" : String.join(", ", looked)) + "; put one there, or add a directory to "
                + MODULE_PATH_VARIABLE);
    }

    /** The built-in module of that type, if there is one. */
    public static Optional<ActivationModule> builtIn(String type) {
        return builtIn(type, ActivationModules.class.getClassLoader(), new ArrayList<>());
    }

    /**
     * Where external modules are looked for, in order: the absolute directories of
     * {@value #MODULE_PATH_VARIABLE} (empty and relative entries are skipped: a module must not depend
     * on where beckon was started), then {@code STATE_DIR/modules}.
     */
    public static List<Path> modulePath(Path stateDirectory) {
        return modulePath(System.getenv(MODULE_PATH_VARIABLE), stateDirectory);
    }

    /** Like {@link #modulePath(Path)}, with the variable's value given ({@code null}: unset). */
    public static List<Path> modulePath(String variable, Path stateDirectory) {
        List<Path> directories = new ArrayList<>();
        if (variable != null) {
            for (String entry : variable.split(":")) {
                try {
                    Path directory = Path.of(entry);
                    if (!entry.isEmpty() && directory.isAbsolute()) {
                        directories.add(directory);
                    }
                } catch (InvalidPathException notAPath) {
                    // Skipped like any entry that names no directory.
                }
            }
        }
        directories.add(stateDirectory.resolve(MODULES_DIRECTORY));
        return directories;
    }

    /**
     * Providers are loaded one by one and only until the type is found: a listed module that cannot be
     * loaded (absent from this build, failing in its constructor) must not hide the others.
     */
    private static Optional<ActivationModule> builtIn(String type, ClassLoader loader, List<String> seen) {
        Iterator<ServiceLoader.Provider<ActivationModule>> providers = ServiceLoader.load(ActivationModule.class, loader).stream().iterator();
        while (true) {
            ActivationModule module;
            try {
                if (!providers.hasNext()) {
                    return Optional.empty();
                }
                module = providers.next().get();
            } catch (ServiceConfigurationError unavailable) {
                continue;
            }
            if (module.type().equals(type)) {
                return Optional.of(module);
            }
            seen.add(module.type());
        }
    }
}
