package dev.beckon.distribution;

import static dev.beckon.distribution.Processes.run;
import static dev.beckon.distribution.Processes.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.ModelLoader;
import dev.beckon.sandbox.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The tarball as a user unpacks it: the launcher, the jar with every library its manifest names, a manual page
 * per command and shell completion, all made from the command model; beckon runs from it, and the completion
 * offers the commands, the options and the names in the model of the current directory, in bash and in zsh.
 */
class PackagesIT {
    @TempDir
    static Path unpacked;

    private static Path root;

    @BeforeAll
    static void unpack() throws Exception {
        succeed(unpacked, List.of("tar", "xzf", Packaged.tarball().toString()));
        root = unpacked.resolve("beckon-" + Packaged.VERSION);
    }

    @Test
    void theTarballHoldsTheLauncherTheJarWithItsLibrariesAndAManualPagePerCommand() throws Exception {
        assertTrue(Files.getPosixFilePermissions(root.resolve("bin/beckon")).contains(PosixFilePermission.OWNER_EXECUTE));
        Path jar = root.resolve("share/beckon/beckon.jar");
        try (JarFile opened = new JarFile(jar.toFile())) {
            String classPath = opened.getManifest().getMainAttributes().getValue("Class-Path");
            for (String library : classPath.trim().split(" +")) {
                assertTrue(Files.isRegularFile(jar.resolveSibling(library)), library + " is named by beckon.jar but not packed");
            }
        }
        for (CommandLine command : Packaged.commands()) {
            assertTrue(Files.isRegularFile(root.resolve("share/man/man1/" + Packaged.pageName(command) + ".1")),
                    "no manual page for " + command.getCommandSpec().qualifiedName());
        }
        assertTrue(Files.isRegularFile(root.resolve("share/bash-completion/completions/beckon")));
        assertTrue(Files.isRegularFile(root.resolve("share/zsh/site-functions/_beckon")));
    }

    @Test
    void beckonRunsFromTheUnpackedTarball() throws Exception {
        CommandResult version = succeed(unpacked, List.of(root.resolve("bin/beckon").toString(), "--version"));
        assertEquals("beckon " + Packaged.VERSION + "\n", version.stdout());
        CommandResult validate = succeed(unpacked, List.of(root.resolve("bin/beckon").toString(), "validate", Packaged.EXAMPLE.toString()));
        assertTrue(validate.stdout().contains(": valid: "), validate.toString());
    }

    @Test
    void eachManualPageHasItsCommandsNameDescriptionAndOptions() throws Exception {
        for (CommandLine command : Packaged.commands()) {
            String name = Packaged.pageName(command);
            String page = Files.readString(root.resolve("share/man/man1/" + name + ".1"));
            // troff writes a hyphen as \-, and an apostrophe as \(aq, or as the string \*(Aq in the NAME line that
            // Asciidoctor writes; the text is otherwise the model's.
            String text = page.replace("\\-", "-").replace("\\(aq", "'").replace("\\*(Aq", "'");
            assertTrue(text.contains(".TH \"" + name.toUpperCase(java.util.Locale.ROOT) + "\" \"1\""), name + ":\n" + page);
            // The NAME line, as picocli's generator makes it: the header where a command has one, else the description.
            CommandLine.Model.UsageMessageSpec usage = command.getCommandSpec().usageMessage();
            String description = (usage.header().length > 0 ? usage.header() : usage.description())[0];
            String firstWords = description.substring(0, Math.min(30, description.length()));
            assertTrue(text.contains(name + " - " + firstWords), name + " has not its description: " + firstWords + "\n" + page);
            assertTrue(text.contains(".TH") && text.contains(" " + Packaged.VERSION + "\""), name + " does not name the version");
            for (CommandLine.Model.OptionSpec option : command.getCommandSpec().options()) {
                assertTrue(text.contains(option.longestName()), name + " lacks option " + option.longestName());
            }
        }
    }

    /** Completes {@code words} (the last one being completed) in the example's directory, as a shell would. */
    private static List<String> complete(String shell, String... words) throws Exception {
        String harness = """
                c() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                      COMPREPLY=(); _beckon_complete 2>/dev/null; printf '%s\\n' "${COMPREPLY[@]}"; }
                c "$@"
                """;
        String script = root.resolve("share/bash-completion/completions/beckon").toString();
        List<String> command = new ArrayList<>(shell.equals("zsh")
                ? List.of("zsh", "-f", "-c", "autoload -U compinit && compinit -u; source " + script + "\n" + harness, "zsh")
                : List.of("bash", "--norc", "-c", "source " + script + "\n" + harness, "bash"));
        command.addAll(List.of(words));
        CommandResult result = run(Packaged.EXAMPLE, Map.of("PATH", root.resolve("bin") + ":" + System.getenv("PATH")), command);
        assertEquals(0, result.exitCode(), result.toString());
        // zsh's compgen leaves matching the typed prefix to compadd, which only a live completion runs: done here.
        String typed = words[words.length - 1];
        return result.stdout().lines().filter(l -> !l.isEmpty()).filter(l -> l.startsWith(typed)).sorted().toList();
    }

    private static void assertCompletes(String shell) throws Exception {
        List<String> commands = Packaged.commands().stream().filter(c -> c.getParent() != null && c.getParent().getParent() == null)
                .map(c -> c.getCommandName()).sorted().toList();
        assertEquals(commands, complete(shell, "beckon", ""), "the subcommands of the model, and the hidden one not");
        assertEquals(List.of("--parallel", "--pause", "--profile"), complete(shell, "beckon", "deploy", "--p"));
        List<String> targets = List.copyOf(ModelLoader.load(Packaged.EXAMPLE).targets().keySet());
        List<String> services = List.copyOf(ModelLoader.load(Packaged.EXAMPLE).services().keySet());
        assertEquals(targets, complete(shell, "beckon", "unlock", ""), "targets of the model in the current directory");
        assertEquals(services, complete(shell, "beckon", "shell", ""), "services of the model in the current directory");
        assertEquals(targets, complete(shell, "beckon", "shell", services.get(0), "--target", ""));
        assertEquals(List.of(), complete(shell, "beckon", "unlock", "--profile", ""), "a profile name is not a target");
    }

    @Test
    void bashCompletesCommandsOptionsAndTheNamesOfTheModelHere() throws Exception {
        assertCompletes("bash");
    }

    @Test
    void zshCompletesTheSameThroughBashcompinit() throws Exception {
        assertCompletes("zsh");
        Path functions = root.resolve("share/zsh/site-functions");
        CommandResult registered = succeed(unpacked, List.of("zsh", "-f", "-c",
                "fpath=(" + functions + " $fpath); autoload -U compinit && compinit -u; print -r -- $_comps[beckon]"));
        assertEquals("_beckon\n", registered.stdout(), "zsh finds _beckon on its completion path");
    }

    @Test
    void theGeneratedOptionListHoldsOptionsThatTakeValuesOnly() {
        Set<String> withValues = GenerateCompletionAndManual.optionsWithValues(dev.beckon.planner.cli.BeckonCommand.commandLine());
        assertTrue(withValues.containsAll(List.of("--profile", "-p", "--home", "--message")), withValues.toString());
        assertTrue(!withValues.contains("--dry-run") && !withValues.contains("--help"), withValues.toString());
    }
}
