package dev.beckon.planner.cli;

import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The names the shell completion offers for service and target arguments, read from the model in the
 * current directory. Hidden: the completion script calls it, people do not. Prints nothing when there is no
 * valid model there, since a completion must never print errors into the command line being typed.
 */
@Command(name = "complete-names", hidden = true, description = "Print the service or target names of the model in DIR, one a line.")
final class CompletionNamesCommand implements Callable<Integer> {
    enum Kind { services, targets }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", description = "services or targets.")
    Kind kind;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR", defaultValue = ".", description = "The model's directory.")
    Path directory;

    @Override
    public Integer call() {
        SystemModel model;
        try {
            model = ModelLoader.load(directory);
        } catch (InvalidModelException | RuntimeException e) {
            return ExitCodes.OK;
        }
        PrintWriter out = spec.commandLine().getOut();
        (kind == Kind.services ? model.services() : model.targets()).keySet().forEach(out::println);
        out.flush();
        return ExitCodes.OK;
    }
}
