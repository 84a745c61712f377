package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.target.ShellWords;
import dev.beckon.models.Messages;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** A plan as people read it, Terraform style. Pure: a plan always gives the same text. */
public final class PlanText {
    private PlanText() {}

    private static void details(ManifestEntry entry, StringBuilder out) {
        if (!entry.description().isEmpty()) {
            out.append("      ").append(Messages.printable(entry.description())).append('\n');
        }
        out.append("      exec: ").append(entry.exec().stream().map(ShellWords::display).collect(Collectors.joining(" "))).append('\n');
        entry.environment().forEach((name, value) -> out.append("      env:  ").append(name).append('=')
                .append(ShellWords.display(value)).append('\n'));
        if (!entry.ports().isEmpty()) {
            out.append("      ports: ").append(entry.ports().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", "))).append('\n');
        }
        if (!entry.dependsOn().isEmpty()) {
            out.append("      after: ").append(String.join(", ", entry.dependsOn())).append('\n');
        }
    }

    public static String render(Plan plan) {
        if (plan.isEmpty()) {
            return "No changes. Every target runs what the model says.\n";
        }
        return render(plan, "beckon will:");
    }

    /** A plan that has changes, under a heading of its own ({@code beckon diff}: what differs between generations). */
    public static String render(Plan plan, String heading) {
        StringBuilder out = new StringBuilder();
        Set<Action> present = EnumSet.noneOf(Action.class);
        plan.changes().forEach(c -> present.add(c.action()));
        out.append(heading).append('\n');
        for (Action action : present) {
            out.append("  ").append(action.symbol()).append(' ').append(action.name().toLowerCase()).append('\n');
        }
        Set<String> targets = new LinkedHashSet<>();
        plan.desired().targets().keySet().forEach(targets::add);
        plan.recorded().targets().keySet().forEach(targets::add);
        plan.changes().forEach(c -> targets.add(c.target()));
        for (String target : targets) {
            List<Change> changes = plan.on(target);
            if (changes.isEmpty()) {
                continue;
            }
            out.append("\ntarget ").append(target).append('\n');
            for (Change change : changes) {
                out.append("  # ").append(change.id()).append(' ').append(change.action().future()).append('\n');
                for (String reason : change.reasons()) {
                    out.append("    (").append(reason).append(")\n");
                }
                ManifestEntry shown = change.desired().or(change::recorded).orElseThrow();
                out.append("  ").append(change.action().symbol()).append(' ').append(shown.service()).append("  ")
                        .append(shown.type()).append(shown.onDemand() ? ", on demand at " + String.join(", ", shown.listen())
                                + (shown.accept() ? ", one process per connection" : "")
                                + (shown.idleTimeout().equals("0") ? "" : ", exits after " + shown.idleTimeout() + " idle")
                                : alwaysRunning(shown, change.action())).append('\n');
                if (change.action() == Action.ACTIVATE || change.action() == Action.REPLACE) {
                    details(shown, out);
                }
            }
        }
        out.append("\nPlan: ").append(plan.count(Action.ACTIVATE)).append(" to activate, ").append(plan.count(Action.CHANGE))
                .append(" to change, ").append(plan.count(Action.DEACTIVATE)).append(" to deactivate")
                .append(plan.count(Action.REPLACE) == 0 ? "" : ", " + plan.count(Action.REPLACE) + " to replace").append(".\n");
        return out.toString();
    }

    /**
     * An always-on instance: where the manager holds its sockets, or, when it binds its own port and is
     * restarted, that its restart refuses connections (nothing listens between the old process and the new).
     */
    private static String alwaysRunning(ManifestEntry shown, Action action) {
        if (!shown.listen().isEmpty()) {
            return ", always running, sockets held at " + String.join(", ", shown.listen());
        }
        boolean restarted = action == Action.CHANGE || action == Action.REPLACE;
        return ", always running" + (restarted && !shown.ports().isEmpty() ? " (restart refuses connections: it binds its own port)" : "");
    }
}
