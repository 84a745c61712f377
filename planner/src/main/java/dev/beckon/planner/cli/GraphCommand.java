package dev.beckon.planner.cli;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.planner.plan.DependencyGraph;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon graph}: the services, their dependencies and where they run, as a Graphviz drawing. */
@Command(name = "graph", description = "Draw the services, their dependencies and their placement on targets as a Graphviz graph.")
final class GraphCommand implements Callable<Integer> {
    /** Lower case, as the user types them and as {@code dot -T} takes them. */
    enum Format { dot, svg }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "dot",
            description = "dot (default): Graphviz's DOT text; svg: drawn by Graphviz's dot, which must be installed.")
    Format format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE (replaced atomically) instead of standard output.")
    Path output;

    /** Where {@code dot} is looked for; tests point it elsewhere. */
    String searchPath = System.getenv("PATH");

    @Override
    public Integer call() {
        SystemModel loaded;
        try {
            loaded = ModelLoader.load(model.files());
        } catch (InvalidModelException e) {
            ValidateCommand.printDiagnostics(e, spec.commandLine().getErr());
            return ExitCodes.FAILED;
        }
        String graph = DependencyGraph.render(loaded);
        try {
            String text = format == Format.dot ? graph : svg(graph);
            if (output == null) {
                PrintWriter out = spec.commandLine().getOut();
                out.print(text);
                out.flush();
            } else {
                AtomicFiles.write(output, text, AtomicFiles.READABLE);
            }
        } catch (IOException e) {
            return ExitCodes.error(spec, e);
        }
        return ExitCodes.OK;
    }

    private String svg(String graph) throws IOException {
        Optional<Path> dot = Graphviz.findDot(searchPath);
        if (dot.isEmpty()) {
            throw new IOException("--format svg needs Graphviz's dot, which is not on PATH; install Graphviz "
                    + "(Debian: apt-get install graphviz), or leave out --format for DOT text");
        }
        return Graphviz.render(dot.get(), "svg", graph);
    }
}
