package dev.beckon.distribution;

import dev.beckon.planner.cli.BeckonCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes, from beckon's picocli command model, what the packages ship besides the jars:
 * <ul>
 *   <li>{@code completion/beckon}: bash completion, picocli's script for the commands and options, followed by
 *       {@code names.bash}, which completes service and target names by asking {@code beckon complete-names}
 *       about the model in the current directory (picocli's candidates are fixed when the script is made);</li>
 *   <li>{@code completion/_beckon}: the same for zsh's completion path, run through zsh's bashcompinit;</li>
 *   <li>{@code manual-sources/*.adoc}: one manual page per command, AsciiDoc, which Asciidoctor turns into troff.</li>
 * </ul>
 * Run by the build with the output directory as its one argument.
 */
public final class GenerateCompletionAndManual {
    private GenerateCompletionAndManual() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: GenerateCompletionAndManual OUTPUT-DIRECTORY");
            System.exit(2);
        }
        generate(Path.of(args[0]));
    }

    public static void generate(Path output) throws IOException {
        CommandLine beckon = BeckonCommand.commandLine();
        String bash = bashCompletion(beckon);
        Path completion = Files.createDirectories(output.resolve("completion"));
        Files.writeString(completion.resolve("beckon"), bash);
        Files.writeString(completion.resolve("_beckon"), zshCompletion(bash));

        Path manual = Files.createDirectories(output.resolve("manual-sources"));
        int status = ManPageGenerator.generateManPage(manual.toFile(), null, new boolean[0], true, beckon.getCommandSpec());
        if (status != 0) {
            throw new IOException("picocli's ManPageGenerator failed with status " + status);
        }
    }

    static String bashCompletion(CommandLine beckon) throws IOException {
        return AutoComplete.bash("beckon", beckon) + "\n"
                + resource("names.bash").replace("@OPTIONS_WITH_VALUES@", String.join(" ", optionsWithValues(beckon)));
    }

    /** Every option name of every command that takes a value, sorted. */
    static SortedSet<String> optionsWithValues(CommandLine command) {
        SortedSet<String> names = new TreeSet<>();
        command.getCommandSpec().options().stream().filter(o -> o.arity().max() > 0)
                .forEach(o -> names.addAll(List.of(o.names())));
        command.getSubcommands().values().forEach(sub -> names.addAll(optionsWithValues(sub)));
        return names;
    }

    /**
     * zsh loads {@code _beckon} from its completion path as the body of a function, run when {@code beckon} is
     * first completed: it defines the bash functions, registers them through bashcompinit, then completes
     * this first time through them too.
     */
    static String zshCompletion(String bash) throws IOException {
        return "#compdef beckon\n" + bash + "\n" + resource("zsh-first-call.zsh");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = GenerateCompletionAndManual.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
