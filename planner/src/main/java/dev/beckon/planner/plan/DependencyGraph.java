package dev.beckon.planner.plan;

import dev.beckon.models.Durations;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import dev.beckon.models.OnDemand;
import dev.beckon.models.SystemModel;
import dev.beckon.models.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A model as a Graphviz DOT graph: one cluster per target, one node per instance, one edge from each
 * instance to each instance of a service it depends on. Pure: a model always gives the same text.
 */
public final class DependencyGraph {
    private DependencyGraph() {}

    /** The model as DOT text, to be drawn by Graphviz's {@code dot}. */
    public static String render(SystemModel model) {
        StringBuilder out = new StringBuilder();
        out.append("// Drawn by beckon graph. Dashed: started on demand; solid: always running.\n");
        out.append("// Arrows point from a service to the services it depends on.\n");
        out.append("digraph beckon {\n");
        out.append("  rankdir=LR;\n");
        out.append("  node [shape=box, style=rounded];\n");
        for (Target target : model.targets().values()) {
            cluster(model, target, out);
        }
        for (InstanceSpec instance : model.instances()) {
            for (String dependency : instance.service().dependsOn()) {
                for (String target : dependencyTargets(model, instance, dependency)) {
                    out.append("  ").append(quote(instance.id())).append(" -> ").append(quote(dependency + "@" + target))
                            .append(";\n");
                }
            }
        }
        out.append("}\n");
        return out.toString();
    }

    private static void cluster(SystemModel model, Target target, StringBuilder out) {
        out.append("\n  subgraph ").append(quote("cluster_" + target.name())).append(" {\n");
        out.append("    label=").append(quote(target.name() + "\n" + target.hostname())).append(";\n");
        List<InstanceSpec> instances = model.instancesOn(target.name());
        if (instances.isEmpty()) {
            // Graphviz leaves out a cluster with no nodes, and a target with nothing on it is worth seeing.
            out.append("    ").append(quote("@" + target.name())).append(" [label=\"nothing placed here\", shape=plaintext];\n");
        }
        for (InstanceSpec instance : instances) {
            out.append("    ").append(quote(instance.id())).append(" [label=").append(quote(label(instance)));
            if (instance.service().startsOnDemand()) {
                out.append(", style=\"rounded,dashed\"");
            }
            if (!instance.service().description().isEmpty()) {
                out.append(", tooltip=").append(quote(instance.service().description()));
            }
            out.append("];\n");
        }
        out.append("  }\n");
    }

    private static String label(InstanceSpec instance) {
        List<String> lines = new ArrayList<>();
        lines.add(instance.service().name());
        lines.add(instance.service().type());
        Optional<OnDemand> onDemand = instance.service().onDemand();
        if (onDemand.isPresent() && onDemand.get().startsAtOnce()) {
            lines.add("always running, sockets held");
        } else if (onDemand.isPresent()) {
            Duration idleTimeout = onDemand.get().idleTimeout();
            lines.add("on demand" + (onDemand.get().accept() ? ", one process per connection" : "")
                    + (idleTimeout.isZero() ? "" : ", idle exit after " + Durations.format(idleTimeout)));
        } else {
            lines.add("always running");
        }
        if (!instance.listen().isEmpty()) {
            lines.add("listen: " + instance.listen().stream().map(ListenAddress::toString).collect(Collectors.joining(", ")));
        }
        if (!instance.ports().isEmpty()) {
            lines.add("ports: " + instance.ports().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", ")));
        }
        return String.join("\n", lines);
    }

    /**
     * The targets whose instance of {@code dependency} this instance is ordered after, as the model
     * resolves them: the one it connects to when there is one; otherwise (the dependency runs on
     * several other targets) every one of them.
     */
    private static List<String> dependencyTargets(SystemModel model, InstanceSpec instance, String dependency) {
        InstanceSpec.Endpoint endpoint = instance.dependencies().get(dependency);
        if (endpoint != null) {
            return List.of(endpoint.target());
        }
        return model.distribution().getOrDefault(dependency, List.of());
    }

    /**
     * A DOT quoted string that Graphviz reads back as exactly {@code text}: no value can end the
     * string early, and none is taken for one of Graphviz's label escapes ({@code \N}, {@code \l})
     * or character entities ({@code &amp;}). A line break becomes Graphviz's {@code \n}; other
     * control characters are shown as {@code \}{@code uXXXX}, as in beckon's messages.
     */
    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '&' -> out.append("&amp;");
                case '\n' -> out.append("\\n");
                case '\r' -> {
                    if (i < text.length() && text.charAt(i) == '\n') {
                        i++;
                    }
                    out.append("\\n");
                }
                default -> {
                    if (Messages.isControl(c)) {
                        out.append(String.format("\\\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
