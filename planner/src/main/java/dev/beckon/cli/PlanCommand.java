package dev.beckon.cli;

import dev.beckon.models.Durations;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.InvalidModelException;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.OnDemand;
import dev.beckon.models.Service;
import dev.beckon.models.SystemModel;
import dev.beckon.models.Target;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code beckon plan}: what would run where. Until the planner compares this with what the targets
 * run, it shows the resolved model: every instance per target, with its ports, listeners and command.
 */
@Command(name = "plan", description = "Show what would run where: every service instance per target, resolved.")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() {
        SystemModel loaded;
        try {
            loaded = ModelLoader.load(model.files());
        } catch (InvalidModelException e) {
            ValidateCommand.printDiagnostics(e, spec.commandLine().getErr());
            return ExitCodes.FAILED;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(render(loaded, Path.of("").toAbsolutePath()));
        out.flush();
        return ExitCodes.OK;
    }

    /** The text of the plan; package paths are shown relative to {@code workingDirectory}. Pure, for golden tests. */
    static String render(SystemModel model, Path workingDirectory) {
        StringBuilder out = new StringBuilder();
        for (Target target : model.targets().values()) {
            List<InstanceSpec> instances = model.instancesOn(target.name());
            out.append("target ").append(target.name()).append(" (").append(target.host())
                    .append(", reached as ").append(target.hostname()).append(")\n");
            if (instances.isEmpty()) {
                out.append("  (nothing placed here)\n");
            }
            for (InstanceSpec instance : instances) {
                renderInstance(instance, workingDirectory, out);
            }
            out.append('\n');
        }
        out.append(Counts.plural(model.instances().size(), "instance")).append(" to run on ")
                .append(Counts.plural(model.targets().size(), "target")).append(".\n");
        return out.toString();
    }

    private static void renderInstance(InstanceSpec instance, Path workingDirectory, StringBuilder out) {
        Service service = instance.service();
        out.append("  + ").append(service.name()).append("  ").append(service.type());
        if (service.onDemand().isPresent()) {
            OnDemand onDemand = service.onDemand().get();
            out.append(", on demand at ").append(instance.listen().stream().map(Object::toString).collect(Collectors.joining(", ")));
            out.append(onDemand.accept() ? ", one process per connection" : "");
            out.append(onDemand.idleTimeout().isZero() ? ", never idles out"
                    : ", exits after " + Durations.format(onDemand.idleTimeout()) + " idle");
        } else {
            out.append(", always running");
        }
        out.append('\n');
        if (!service.description().isEmpty()) {
            out.append("      ").append(service.description()).append('\n');
        }
        String packagePath = service.packagePath().map(p -> shown(p, workingDirectory)).orElse("");
        if (!service.exec().isEmpty()) {
            out.append("      exec: ").append(instance.exec(packagePath).stream().map(ShellWords::quote)
                    .collect(Collectors.joining(" "))).append('\n');
        }
        for (Map.Entry<String, String> variable : instance.environment(packagePath).entrySet()) {
            out.append("      env:  ").append(variable.getKey()).append('=').append(ShellWords.quote(variable.getValue())).append('\n');
        }
        if (!instance.ports().isEmpty()) {
            out.append("      ports: ").append(instance.ports().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", "))).append('\n');
        }
        if (!instance.dependencies().isEmpty() || !service.dependsOn().isEmpty()) {
            out.append("      after: ").append(service.dependsOn().stream().map(d -> {
                InstanceSpec.Endpoint endpoint = instance.dependencies().get(d);
                return endpoint == null ? d : d + "@" + endpoint.target();
            }).collect(Collectors.joining(", "))).append('\n');
        }
    }

    private static String shown(Path path, Path workingDirectory) {
        return path.startsWith(workingDirectory) ? workingDirectory.relativize(path).toString() : path.toString();
    }
}
