package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a service's {@code secrets} table: each entry {@code NAME = { file = "PATH" }} or
 * {@code NAME = { command = ["ARGV0", ...] }}. Only where each value comes from is checked here; the values are read
 * when a plan is made ({@link SecretSources}), so that validating a model runs no command.
 */
final class SecretsReader {
    private static final Set<String> KEYS = Set.of("file", "command");

    private final Diagnostics diagnostics;
    private final ValueReader values;

    SecretsReader(Diagnostics diagnostics, ValueReader values) {
        this.diagnostics = diagnostics;
        this.values = values;
    }

    /** The secrets of {@code service}, by name; what is wrong is reported and left out. */
    SortedMap<String, Secret> read(String service, Node table) {
        SortedMap<String, Secret> secrets = new TreeMap<>();
        Path directory = table.file().path().toAbsolutePath().getParent();
        for (String name : table.keys()) {
            Node node = table.get(name).orElseThrow();
            if (!values.checkName(node, name, "secret") || values.table(node).isEmpty()) {
                continue;
            }
            values.checkKeys(node, KEYS, "secret " + name + " of service " + service);
            Optional<Node> file = node.get("file");
            Optional<Node> command = node.get("command");
            if (file.isPresent() == command.isPresent()) {
                diagnostics.error(node.where(), "secret " + name + " of service " + service + " needs exactly one of file = \"PATH\""
                        + " (relative to " + table.file().path().getFileName() + ") and command = [\"PROGRAM\", ...]"
                        + ", which print its value on the deploying machine");
                continue;
            }
            if (file.isPresent()) {
                values.string(file.get()).flatMap(text -> filePath(service, name, file.get(), text, directory))
                        .ifPresent(path -> secrets.put(name, new Secret(name, Optional.of(path), List.of(), directory, node.keyWhere())));
            } else {
                commandLine(service, name, command.get()).ifPresent(argv -> secrets.put(name,
                        new Secret(name, Optional.empty(), argv, directory, node.keyWhere())));
            }
        }
        return secrets;
    }

    private Optional<Path> filePath(String service, String name, Node node, String text, Path directory) {
        if (text.isEmpty() || text.indexOf('\0') >= 0) {
            diagnostics.error(node.where(), "the file of secret " + name + " of service " + service + " must name a file");
            return Optional.empty();
        }
        return Optional.of(directory.resolve(text).normalize());
    }

    private Optional<List<String>> commandLine(String service, String name, Node node) {
        Optional<Node> array = values.array(node);
        if (array.isEmpty()) {
            return Optional.empty();
        }
        List<String> argv = new ArrayList<>();
        for (Node argument : array.get().elements()) {
            Optional<String> text = values.string(argument);
            if (text.isEmpty()) {
                return Optional.empty();
            }
            if (text.get().indexOf('\0') >= 0) {
                diagnostics.error(argument.where(), argument.display() + " contains a NUL character, which no program argument can carry");
                return Optional.empty();
            }
            argv.add(text.get());
        }
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            diagnostics.error(node.where(), "the command of secret " + name + " of service " + service
                    + " needs at least its program, like [\"pass\", \"show\", \"" + name + "\"]");
            return Optional.empty();
        }
        return Optional.of(argv);
    }
}
