package dev.beckon.distribution;

import dev.beckon.planner.cli.BeckonCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/** What the build made and the package tests check: where it is, its version, the example it validates. */
final class Packaged {
    private Packaged() {}

    static final Path TARGET = Path.of(property("beckon.distribution"));
    static final String VERSION = property("beckon.version");
    static final Path EXAMPLE = Path.of(property("beckon.example"));

    static Path tarball() {
        return TARGET.resolve("beckon-" + VERSION + ".tar.gz");
    }

    /** The one Debian package the build made ({@code beckon_VERSION_all.deb}, VERSION in Debian's spelling). */
    static Path debianPackage() throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().matches("beckon_.+_all\\.deb")).toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one beckon_VERSION_all.deb in " + TARGET + ", found " + found);
            }
            return found.get(0);
        }
    }

    /** Every command a manual page is due for, as {@code beckon}, {@code beckon-deploy}, {@code beckon-sandbox-start}. */
    static List<CommandLine> commands() {
        List<CommandLine> all = new ArrayList<>();
        collect(BeckonCommand.commandLine(), all);
        return all;
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        if (command.getCommandSpec().usageMessage().hidden()) {
            return;
        }
        into.add(command);
        command.getSubcommands().values().forEach(sub -> collect(sub, into));
    }

    static String pageName(CommandLine command) {
        return command.getCommandSpec().qualifiedName("-");
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property " + name + " is not set: run the package tests through Maven (failsafe)");
        }
        return value;
    }
}
