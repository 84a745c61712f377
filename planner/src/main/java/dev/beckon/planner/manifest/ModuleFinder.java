package dev.beckon.planner.manifest;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModule;
import java.nio.file.Path;

/** Finds the activation module of a type on a target: the built-in one, or an external one in its state directory. */
@FunctionalInterface
public interface ModuleFinder {
    ActivationModule forType(String type, Path stateDirectory) throws ActivationException;
}
