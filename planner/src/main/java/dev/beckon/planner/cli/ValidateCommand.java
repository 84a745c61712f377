package dev.beckon.planner.cli;

import dev.beckon.models.Diagnostic;
import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code beckon validate}: checks a model and reports every problem in it. */
@Command(name = "validate", description = "Check a model and report every error in it, with file, line and column.")
final class ValidateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SystemModel loaded;
        try {
            loaded = ModelLoader.load(model.files());
        } catch (InvalidModelException e) {
            printDiagnostics(e, err);
            return ExitCodes.FAILED;
        }
        out.println(model.name() + ": valid: " + Counts.summary(loaded));
        return ExitCodes.OK;
    }

    /** Prints every diagnostic and a closing count, as a compiler would. */
    static void printDiagnostics(InvalidModelException e, PrintWriter err) {
        List<Diagnostic> diagnostics = e.diagnostics();
        diagnostics.forEach(err::println);
        long errors = e.errorCount();
        err.println(Counts.plural(errors, "error"));
        err.flush();
    }
}
