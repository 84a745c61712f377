package dev.beckon.planner.cli;

import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.store.GarbageCollector;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.generations.Generation;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code beckon gc}: drops old generations and the store entries that no kept generation needs. */
@Command(name = "gc", description = "Drop old generations (never the current one) and remove the store entries on the targets that"
        + " no kept generation of any profile references; print what was freed.")
final class GcCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Option(names = "--keep", paramLabel = "N", defaultValue = "" + GarbageCollector.DEFAULT_KEEP,
            description = "Keep the N newest generations, and the current one whatever N is (default: ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = "--keep-snapshots", paramLabel = "N", defaultValue = "" + dev.beckon.planner.store.Snapshots.KEEP,
            description = "Keep the N newest warm-state snapshots of each service on each target (default: ${DEFAULT-VALUE}).")
    int keepSnapshots;

    @Option(names = "--dry-run", description = "Only print what would be dropped and removed; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (keep < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keep must be 0 or more, not " + keep);
        }
        if (keepSnapshots < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keep-snapshots must be 0 or more, not " + keepSnapshots);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = dryRun ? profile.open(spec.commandLine().getErr()) : profile.openForChanges(out, "gc")) {
            out.print(text(deployments.garbageCollector().collect(keep, keepSnapshots, dryRun, new ProgressPrinter(out)::notice)));
            out.flush();
            return ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }

    /** The report for people. Pure. */
    static String text(GarbageCollector.Report report) {
        StringBuilder text = new StringBuilder();
        if (report.kept().isEmpty()) {
            return "Profile " + report.profile() + " has no deployments yet; nothing to collect.\n";
        }
        text.append("Profile ").append(report.profile()).append(": ");
        if (report.dropped().isEmpty()) {
            text.append("no generation to drop");
        } else {
            text.append(report.dryRun() ? "would drop " : "dropped ").append(report.dropped().size() == 1 ? "generation " : "generations ")
                    .append(numbers(report.dropped()));
        }
        text.append("; keeping ").append(report.kept().size() == 1 ? "generation " : "generations ").append(numbers(report.kept()));
        report.kept().stream().filter(Generation::current).findFirst()
                .ifPresent(current -> text.append(" (").append(current.number()).append(" is current)"));
        text.append(".\n");
        for (GarbageCollector.StoreReport store : report.stores()) {
            if (store.removed().isEmpty()) {
                continue;
            }
            text.append(store.targets().size() == 1 ? "target " : "targets ").append(String.join(", ", store.targets()))
                    .append(" (").append(store.stateDirectory()).append(store.host().isEmpty() ? "" : " on " + store.host()).append("), ").append(report.dryRun() ? "would remove" : "removed")
                    .append(":\n");
            int width = store.removed().stream().mapToInt(e -> e.name().length()).max().orElse(0);
            for (GarbageCollector.StoreEntry entry : store.removed()) {
                text.append(String.format(Locale.ROOT, "  - %-" + width + "s  %10s\n", entry.name(), bytes(entry.bytes())));
            }
        }
        if (report.entries() == 0) {
            text.append("Nothing to remove from the stores.\n");
        } else {
            text.append(report.dryRun() ? "Would free " : "Freed ").append(bytes(report.bytes())).append(" in ")
                    .append(Counts.plural(report.entries(), "store entry", "store entries")).append(" on ")
                    .append(Counts.plural(report.targets(), "target")).append(".\n");
        }
        if (report.dryRun()) {
            text.append("Dry run: nothing was changed.\n");
        }
        return text.toString();
    }

    private static String numbers(List<Generation> generations) {
        return generations.stream().map(g -> String.valueOf(g.number())).collect(Collectors.joining(", "));
    }

    /** 1023 B, 4.0 KiB, 12.3 MiB, 1.5 GiB. */
    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
