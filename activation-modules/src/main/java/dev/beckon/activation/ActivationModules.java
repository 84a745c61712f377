package dev.beckon.activation;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Finds the activation module for a type name. */
public final class ActivationModules {
    private ActivationModules() {}

    /**
     * The built-in module of that type.
     *
     * @throws ActivationException when there is none; the message lists the built-in types
     */
    public static ActivationModule forType(String type, Path stateDirectory) throws ActivationException {
        StringBuilder known = new StringBuilder();
        Iterator<ActivationModule> modules = ServiceLoader.load(ActivationModule.class).iterator();
        while (true) {
            ActivationModule module;
            try {
                if (!modules.hasNext()) {
                    break;
                }
                module = modules.next();
            } catch (ServiceConfigurationError unavailable) {
                // A listed module that cannot be loaded must not hide the others; the iterator moves past it.
                continue;
            }
            if (module.type().equals(type)) {
                return module;
            }
            known.append(known.length() == 0 ? "" : ", ").append(module.type());
        }
        throw new ActivationException(type, "no activation module of type " + type + " (built in: " + known + ")");
    }
}
