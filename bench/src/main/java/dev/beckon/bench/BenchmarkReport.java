package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * Writes {@code docs/benchmarks.md} and its charts from one run's results: the figures in tables,
 * the machine, and every figure against its aim with what limits it, in words computed from the
 * same run's measurements.
 */
final class BenchmarkReport {
    /** One figure against its aim. */
    record Aim(String figure, String aim, String measured, Status status, String limitedBy) {}

    enum Status {
        MET("met"), MISSED("**missed**"),
        /** The issue sets no aim: the figure is shown for comparison. */
        NO_AIM("no aim"),
        /** The run was stopped before the figure could say: a longer limit would. */
        UNDECIDED("undecided");

        final String label;

        Status(String label) {
            this.label = label;
        }

        static Status of(boolean met) {
            return met ? MET : MISSED;
        }
    }

    private final Machine machine;
    private final String command;
    private final String loadAtStart;
    private final String loadAtEnd;
    private final double runMinutes;
    private final Optional<PlanningBenchmark.Result> planning;
    private final Optional<DeployBenchmark.Result> deploy;
    private final Optional<ColdActivationBenchmark.Result> cold;
    private final Optional<IdleCostBenchmark.Result> idle;
    private final Optional<UpgradeRefusalBenchmark.Result> upgrade;
    private final Optional<SlowlorisBenchmark.Result> slowloris;
    private final Optional<ScaleBenchmark.Result> scale;
    private final List<Aim> aims = new ArrayList<>();

    BenchmarkReport(Machine machine, String command, String loadAtStart, String loadAtEnd, double runMinutes,
            Optional<PlanningBenchmark.Result> planning, Optional<DeployBenchmark.Result> deploy,
            Optional<ColdActivationBenchmark.Result> cold, Optional<IdleCostBenchmark.Result> idle) {
        this(machine, command, loadAtStart, loadAtEnd, runMinutes, planning, deploy, cold, idle, Optional.empty());
    }

    BenchmarkReport(Machine machine, String command, String loadAtStart, String loadAtEnd, double runMinutes,
            Optional<PlanningBenchmark.Result> planning, Optional<DeployBenchmark.Result> deploy,
            Optional<ColdActivationBenchmark.Result> cold, Optional<IdleCostBenchmark.Result> idle,
            Optional<UpgradeRefusalBenchmark.Result> upgrade) {
        this(machine, command, loadAtStart, loadAtEnd, runMinutes, planning, deploy, cold, idle, upgrade, Optional.empty());
    }

    BenchmarkReport(Machine machine, String command, String loadAtStart, String loadAtEnd, double runMinutes,
            Optional<PlanningBenchmark.Result> planning, Optional<DeployBenchmark.Result> deploy,
            Optional<ColdActivationBenchmark.Result> cold, Optional<IdleCostBenchmark.Result> idle,
            Optional<UpgradeRefusalBenchmark.Result> upgrade, Optional<SlowlorisBenchmark.Result> slowloris) {
        this(machine, command, loadAtStart, loadAtEnd, runMinutes, planning, deploy, cold, idle, upgrade, slowloris, Optional.empty());
    }

    BenchmarkReport(Machine machine, String command, String loadAtStart, String loadAtEnd, double runMinutes,
            Optional<PlanningBenchmark.Result> planning, Optional<DeployBenchmark.Result> deploy,
            Optional<ColdActivationBenchmark.Result> cold, Optional<IdleCostBenchmark.Result> idle,
            Optional<UpgradeRefusalBenchmark.Result> upgrade, Optional<SlowlorisBenchmark.Result> slowloris,
            Optional<ScaleBenchmark.Result> scale) {
        this.scale = scale;
        this.slowloris = slowloris;
        this.machine = machine;
        this.command = command;
        this.loadAtStart = loadAtStart;
        this.loadAtEnd = loadAtEnd;
        this.runMinutes = runMinutes;
        this.planning = planning;
        this.deploy = deploy;
        this.cold = cold;
        this.idle = idle;
        this.upgrade = upgrade;
    }

    /** Writes the page into {@code docs} and the charts into {@code docs/benchmarks}; returns the page. */
    Path write(Path docs) throws IOException {
        Path charts = Files.createDirectories(docs.resolve("benchmarks"));
        StringBuilder page = new StringBuilder();
        page.append("# Benchmarks\n\n")
                .append("Written by `").append(command).append("` on ").append(machine.date()).append(", in ")
                .append(String.format(Locale.ROOT, "%.1f", runMinutes)).append(" minutes. Every figure on this page was measured in that one ")
                .append("run, the alternatives side by side, rounds interleaved. This machine is shared and noisy: compare the ratios ")
                .append("within this page, never absolute times from different runs.\n\n");
        howToRun(page);
        machineSection(page);
        planning.ifPresent(result -> planningSection(page, result, charts));
        deploy.ifPresent(result -> deploySection(page, result, charts));
        cold.ifPresent(result -> coldSection(page, result));
        idle.ifPresent(result -> idleSection(page, result));
        upgrade.ifPresent(result -> UpgradeRefusalSection.write(page, result, aims));
        slowloris.ifPresent(result -> SlowlorisSection.write(page, result, aims));
        scale.ifPresent(result -> ScaleSection.write(page, result, aims));
        closingNote(page);
        Path file = docs.resolve("benchmarks.md");
        Files.writeString(file, page);
        return file;
    }

    List<Aim> aims() {
        return List.copyOf(aims);
    }

    private void howToRun(StringBuilder page) {
        page.append("## Running them\n\n")
                .append("```sh\n")
                .append("bench/run            # builds beckon (mvn package, tests skipped), runs every benchmark, writes this page\n")
                .append("bench/run --help     # the sizes, counts and rounds, and how to run the issue's full sizes\n")
                .append("```\n\n")
                .append("It needs root, for the private systemd user manager of the `sandbox` module (as `bin/test` does), and ")
                .append("touches nothing of the machine's own systemd. `mvn verify` only compiles the `bench` module; nothing of it ")
                .append("runs in the tests.\n\n");
    }

    private void machineSection(StringBuilder page) {
        page.append("## The machine\n\n")
                .append("| | |\n| --- | --- |\n")
                .append("| CPU | ").append(machine.cpu()).append(" |\n")
                .append("| cores | ").append(machine.cores()).append(" |\n")
                .append("| memory | ").append(bytes(machine.memoryBytes())).append(" |\n")
                .append("| system | ").append(machine.os()).append(", kernel ").append(machine.kernel()).append(" |\n")
                .append("| Java | ").append(machine.java()).append(" |\n")
                .append("| systemd | ").append(machine.systemd()).append(" |\n")
                .append("| date | ").append(machine.date()).append(" |\n")
                .append("| load average (1, 5, 15 min) | at the start ").append(loadAtStart);
        planning.ifPresent(r -> page.append("; planning ").append(r.loadAverage()));
        deploy.ifPresent(r -> page.append("; deploying ").append(r.loadAverage()));
        cold.ifPresent(r -> page.append("; cold activation ").append(r.loadAverage()));
        idle.ifPresent(r -> page.append("; idle cost ").append(r.loadAverage()));
        slowloris.ifPresent(r -> page.append("; slowloris ").append(r.loadAverage()));
        scale.ifPresent(r -> page.append("; many SSH targets ").append(r.loadAverage()));
        page.append("; at the end ").append(loadAtEnd).append(" |\n")
                .append("| run | `").append(command).append("` |\n\n");
        double peakLoad = maxLoad();
        if (peakLoad > 1.0) {
            page.append(String.format(Locale.ROOT, "The load average reached %.1f on these %d cores when a benchmark began: other work "
                    + "(another engineer's builds and tests run on this machine) shared the CPU during the run, so single figures carry "
                    + "noise; the spreads (min to max) in the tables show how much. The ratios of alternatives measured in the same "
                    + "rounds are the figures to trust.", peakLoad, machine.cores()));
        } else {
            page.append("The load average stayed at or below 1 when each benchmark began: little else ran.");
        }
        idle.ifPresent(r -> page.append(String.format(Locale.ROOT, " The load at the end includes the idle-cost benchmark's own %d "
                + "JVMs, started at once.", r.services())));
        page.append("\n\n");
    }

    /** The highest 1-minute load average at the start of the run and of each benchmark. */
    private double maxLoad() {
        List<String> loads = new ArrayList<>(List.of(loadAtStart));
        planning.ifPresent(r -> loads.add(r.loadAverage()));
        deploy.ifPresent(r -> loads.add(r.loadAverage()));
        cold.ifPresent(r -> loads.add(r.loadAverage()));
        idle.ifPresent(r -> loads.add(r.loadAverage()));
        slowloris.ifPresent(r -> loads.add(r.loadAverage()));
        scale.ifPresent(r -> loads.add(r.loadAverage()));
        double max = 0;
        for (String load : loads) {
            try {
                max = Math.max(max, Double.parseDouble(load.split(" ")[0]));
            } catch (NumberFormatException e) {
                // "unknown": says nothing about the load
            }
        }
        return max;
    }

    // ---- planning ------------------------------------------------------------------------------

    private void planningSection(StringBuilder page, PlanningBenchmark.Result result, Path charts) {
        List<PlanningBenchmark.Size> sizes = result.sizes();
        PlanningBenchmark.Size first = sizes.get(0);
        page.append("## 1. Planning at scale\n\n")
                .append("Synthetic models of S services on T targets, every service on every target (`SyntheticModel`): half on demand, ")
                .append("in dependency chains of ten where each connects to the one before through `{deps.NAME.host}` and ")
                .append("`{deps.NAME.ports.http}`, with ports, environment and a target property, over eight shared packages. ")
                .append("Each size is written as TOML into a temporary directory and run through the real `ModelLoader.load` ")
                .append("(parsing and validation), `ManifestResolver.resolve` (placeholders, package hashes, rendered units, ")
                .append("content hashes) and `Planner.plan`, in a fresh JVM started with `bin/beckon`'s options (")
                .append(String.join(" ", PlanningBenchmark.BECKON_JVM_OPTIONS)).append("), as `beckon plan` would meet it. ")
                .append("*First plan*: against an empty profile, every instance to activate. *No-op plan*: against a last ")
                .append("deployment equal to the model, the everyday case. Live state is not asked (no targets run them). ")
                .append("Times are medians over the runs; a run stopped at the ")
                .append(first.limitMillis() / 1000 > 0 ? String.format(Locale.ROOT, "%.0f s", first.limitMillis() / 1000) : "")
                .append(" limit shows what it had finished.\n\n")
                .append("| instances | services x targets | runs | load | resolve | plan | **first plan** | JVM uptime at first plan | no-op plan step | **no-op plan** | heap retained | heap peak | peak RSS |\n")
                .append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (PlanningBenchmark.Size size : sizes) {
            page.append("| ").append(String.format(Locale.ROOT, "%,d", size.instances()))
                    .append(" | ").append(size.services()).append(" x ").append(size.targets())
                    .append(" | ").append(size.runs())
                    .append(" | ").append(ms(size.load(), size))
                    .append(" | ").append(ms(size.resolve(), size))
                    .append(" | ").append(ms(size.plan(), size))
                    .append(" | **").append(ms(size.firstPlan(), size)).append("**")
                    .append(" | ").append(ms(size.uptimeAtPlan(), size))
                    .append(" | ").append(ms(size.replan(), size))
                    .append(" | **").append(ms(size.noOpPlan(), size)).append("**")
                    .append(" | ").append(bytes(size.retainedBytes()))
                    .append(" | ").append(bytes(size.peakHeapBytes()))
                    .append(" | ").append(bytes(size.peakRssBytes()))
                    .append(" |\n");
        }
        page.append("\nGrowth from one size to the next (linear: the time grows as the instances do; the aim allows 1.2 times that):\n\n")
                .append("| from | to | instances x | first plan x | no-op plan x | allowed x |\n")
                .append("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (int i = 1; i < sizes.size(); i++) {
            PlanningBenchmark.Size from = sizes.get(i - 1);
            PlanningBenchmark.Size to = sizes.get(i);
            double scale = (double) to.instances() / from.instances();
            page.append(String.format(Locale.ROOT, "| %,d | %,d | %.1f | %s | %s | %.1f |%n", from.instances(), to.instances(), scale,
                    growth(from.firstPlan(), to.firstPlan(), to), growth(from.noOpPlan(), to.noOpPlan(), to), scale * 1.2));
        }
        page.append("\n![Plan time against instance count](benchmarks/planning.svg)\n\n");
        Optional<PlanningBenchmark.Size> profiled = sizes.stream().filter(size -> size.instances() == result.profiledInstances()).findFirst();
        if (!result.hotspots().isEmpty() && profiled.isPresent()) {
            page.append(String.format(Locale.ROOT, "Where the time goes at %,d instances: the probe ran once more with a wall-clock sampler "
                    + "that every 5 ms takes the planning thread's stack and counts it for the step and for the innermost beckon "
                    + "method on it (the beckon code that spent the time, itself or in the JDK code it called, class loading "
                    + "included). Collector pauses are invisible to it; they come from the measured runs.%n%n", result.profiledInstances()))
                    .append("| step | time | collector pauses | busiest beckon methods (share of the step's samples) |\n")
                    .append("| --- | ---: | ---: | --- |\n");
            for (String step : List.of("load", "resolve", "plan", "replan")) {
                List<PlanningBenchmark.Hotspot> inStep = result.hotspots().stream().filter(h -> h.step().equals(step)).toList();
                page.append("| ").append(stepName(step)).append(" | ").append(ms(profiled.get().step(step), profiled.get()))
                        .append(" | ").append(ms(profiled.get().gc(step), profiled.get())).append(" | ")
                        .append(inStep.stream().map(h -> String.format(Locale.ROOT, "`%s` %.0f%%", h.method(), 100.0 * h.samples() / h.stepSamples()))
                                .collect(Collectors.joining(", ")))
                        .append(" |\n");
            }
            page.append('\n');
        }
        writeChart(charts.resolve("planning.svg"), planningChart(sizes));
        planningAims(result);
    }

    private static String stepName(String step) {
        return switch (step) {
            case "load" -> "load (`ModelLoader.load`)";
            case "resolve" -> "resolve (`ManifestResolver.resolve`)";
            case "plan" -> "first plan (`Planner.plan`)";
            default -> "no-op plan (`Planner.plan`)";
        };
    }

    private static String growth(OptionalDouble from, OptionalDouble to, PlanningBenchmark.Size toSize) {
        if (from.isEmpty()) {
            return "–";
        }
        if (to.isEmpty()) {
            return toSize.stopped() ? String.format(Locale.ROOT, "> %.1f (stopped)", toSize.stoppedAfterMillis() / from.getAsDouble()) : "–";
        }
        return String.format(Locale.ROOT, "%.1f", to.getAsDouble() / from.getAsDouble());
    }

    private SvgLineChart planningChart(List<PlanningBenchmark.Size> sizes) {
        List<SvgLineChart.Point> firstPlan = new ArrayList<>();
        List<SvgLineChart.Point> noOp = new ArrayList<>();
        for (PlanningBenchmark.Size size : sizes) {
            if (size.firstPlan().isPresent()) {
                firstPlan.add(SvgLineChart.Point.of(size.instances(), size.firstPlan().getAsDouble()));
            } else if (size.stopped()) {
                firstPlan.add(new SvgLineChart.Point(size.instances(), size.stoppedAfterMillis(), true));
            }
            if (size.noOpPlan().isPresent()) {
                noOp.add(SvgLineChart.Point.of(size.instances(), size.noOpPlan().getAsDouble()));
            } else if (size.stopped() && size.firstPlan().isPresent() && size.uptimeAtPlan().isPresent()) {
                // It ran for the rest of the limit and did not finish.
                double ranFor = size.stoppedAfterMillis() - size.uptimeAtPlan().getAsDouble();
                noOp.add(new SvgLineChart.Point(size.instances(), size.load().getAsDouble() + size.resolve().getAsDouble() + ranFor, true));
            }
        }
        SvgLineChart chart = new SvgLineChart("Planning time against model size (fresh JVM each)", "instances (services x targets)",
                "time", true, true, BenchmarkReport::count, BenchmarkReport::axisMillis);
        chart.add("first plan: load + resolve + plan", firstPlan, false);
        chart.add("no-op plan: load + resolve + plan against itself", noOp, false);
        Optional<PlanningBenchmark.Size> anchor = sizes.stream().filter(s -> s.firstPlan().isPresent())
                .filter(s -> s.instances() == 10_000).findFirst()
                .or(() -> sizes.stream().filter(s -> s.firstPlan().isPresent()).findFirst());
        anchor.ifPresent(a -> {
            List<SvgLineChart.Point> linear = new ArrayList<>();
            for (PlanningBenchmark.Size size : sizes) {
                linear.add(SvgLineChart.Point.of(size.instances(), a.firstPlan().getAsDouble() * size.instances() / a.instances()));
            }
            chart.add(String.format(Locale.ROOT, "linear through the first plan at %s", count(a.instances())), linear, true);
        });
        return chart;
    }

    private void planningAims(PlanningBenchmark.Result result) {
        List<PlanningBenchmark.Size> sizes = result.sizes();
        String sampled = String.format(Locale.ROOT, " (sampled at %s)", count(result.profiledInstances()));
        boolean profiled = !result.hotspots().isEmpty();
        String hotFirst = profiled ? hotspots(result, "load") + "; " + hotspots(result, "resolve") + sampled : "";
        String hotNoOp = profiled ? hotspots(result, "load") + "; " + hotspots(result, "resolve") + "; " + hotspots(result, "replan") + sampled
                : "";
        sizes.stream().filter(s -> s.instances() == 10_000).findFirst().ifPresent(size -> {
            if (size.uptimeAtPlan().isPresent()) {
                double uptime = size.uptimeAtPlan().getAsDouble();
                double steps = size.firstPlan().getAsDouble();
                aims.add(new Aim("10k instances planned, since JVM start", "well under 1 s", ms(uptime), Status.of(uptime < 1000),
                        String.format(Locale.ROOT, "load %s, resolve %s, plan %s; JVM start and class loading the other %s. %s",
                                ms(size.load()), ms(size.resolve()), ms(size.plan()), ms(uptime - steps), hotFirst)));
            } else {
                aims.add(new Aim("10k instances planned, since JVM start", "well under 1 s", "not finished within " + ms(size.limitMillis()),
                        Status.MISSED, hotFirst));
            }
            if (size.uptimeAtPlan().isPresent() && size.replan().isPresent()) {
                double uptime = size.uptimeAtPlan().getAsDouble() + size.replan().getAsDouble();
                aims.add(new Aim("10k instances, no-op plan (model unchanged since the last deployment), since JVM start", "well under 1 s",
                        ms(uptime), Status.of(uptime < 1000), String.format(Locale.ROOT, "as above, and the plan against the last "
                                + "deployment %s: %s (sampled at %s)", ms(size.replan()), hotspots(result, "replan"),
                                count(result.profiledInstances()))));
            }
        });
        for (int i = 1; i < sizes.size(); i++) {
            PlanningBenchmark.Size from = sizes.get(i - 1);
            PlanningBenchmark.Size to = sizes.get(i);
            double scale = (double) to.instances() / from.instances();
            for (boolean noOp : new boolean[] {false, true}) {
                OptionalDouble a = noOp ? from.noOpPlan() : from.firstPlan();
                OptionalDouble b = noOp ? to.noOpPlan() : to.firstPlan();
                String figure = String.format(Locale.ROOT, "%s growth, %s to %s instances", noOp ? "no-op plan" : "first plan",
                        count(from.instances()), count(to.instances()));
                String aim = String.format(Locale.ROOT, "at most %.1fx (%.0fx instances)", scale * 1.2, scale);
                if (a.isEmpty()) {
                    continue;
                }
                if (b.isEmpty()) {
                    // It ran for the whole limit and had not finished: the growth is at least that much.
                    double atLeast = to.stoppedAfterMillis() / a.getAsDouble();
                    aims.add(new Aim(figure, aim, String.format(Locale.ROOT, "more than %.1fx (not finished within %s)", atLeast,
                            ms(to.limitMillis())), atLeast > scale * 1.2 ? Status.MISSED : Status.UNDECIDED,
                            (stoppedDuring(from, to, noOp) + " " + (noOp ? hotNoOp : hotFirst)).strip()));
                    continue;
                }
                double ratio = b.getAsDouble() / a.getAsDouble();
                String limit = String.format(Locale.ROOT, "step by step: load %s, resolve %s, %s %s. %s",
                        stepGrowth(from.load(), to.load()), stepGrowth(from.resolve(), to.resolve()), noOp ? "no-op plan" : "plan",
                        stepGrowth(noOp ? from.replan() : from.plan(), noOp ? to.replan() : to.plan()),
                        ratio <= scale * 1.2 && from.instances() < 10_000 ? "Fixed costs of a fresh JVM (class loading, the first "
                                + "compilations) weigh most at the small size, which flatters this ratio." : noOp ? hotNoOp : hotFirst);
                aims.add(new Aim(figure, aim, String.format(Locale.ROOT, "%.1fx", ratio), Status.of(ratio <= scale * 1.2), limit));
            }
        }
    }

    /**
     * Which step the time limit interrupted, after which finished ones, and how much that step alone had
     * grown by then over the smaller size: often enough to tell where linear growth is lost.
     */
    private static String stoppedDuring(PlanningBenchmark.Size from, PlanningBenchmark.Size size, boolean noOp) {
        List<String> finished = new ArrayList<>();
        double finishedMillis = 0;
        String running = null;
        for (String step : noOp ? List.of("load", "resolve", "plan", "replan") : List.of("load", "resolve", "plan")) {
            if (size.step(step).isPresent()) {
                finished.add(step + " " + ms(size.step(step).getAsDouble()));
                finishedMillis += size.step(step).getAsDouble();
            } else if (running == null) {
                running = step;
            }
        }
        String growth = "";
        if (running != null && from.step(running).isPresent()) {
            growth = String.format(Locale.ROOT, "; by then %s alone had taken more than %.1fx its time at %s", stepLabel(running),
                    (size.stoppedAfterMillis() - finishedMillis) / from.step(running).getAsDouble(), count(from.instances()));
        }
        return String.format(Locale.ROOT, "At %s the limit came during %s%s%s.", count(size.instances()),
                running == null ? "the end" : stepLabel(running), finished.isEmpty() ? "" : ", after " + String.join(", ", finished), growth);
    }

    private static String stepLabel(String step) {
        return step.equals("replan") ? "the no-op plan" : step;
    }

    private static String stepGrowth(OptionalDouble from, OptionalDouble to) {
        return from.isPresent() && to.isPresent() ? String.format(Locale.ROOT, "x%.1f", to.getAsDouble() / from.getAsDouble()) : "x?";
    }

    private static String hotspots(PlanningBenchmark.Result result, String step) {
        List<PlanningBenchmark.Hotspot> inStep = result.hotspots().stream().filter(h -> h.step().equals(step)).limit(2).toList();
        if (inStep.isEmpty()) {
            return step + ": no profile";
        }
        return (step.equals("replan") ? "the no-op plan" : step) + " spends " + inStep.stream().map(h -> String.format(Locale.ROOT, "%.0f%% in `%s`", 100.0 * h.samples() / h.stepSamples(),
                h.method())).collect(Collectors.joining(", "));
    }

    // ---- deploying -----------------------------------------------------------------------------

    private void deploySection(StringBuilder page, DeployBenchmark.Result result, Path charts) {
        DeployBenchmark.Count largest = result.largest();
        int n = largest.services();
        page.append("## 2. Deploying into real systemd\n\n")
                .append("N copies of the hello-world example's server, each on demand on its own port (`HelloModels`), deployed into the ")
                .append("`sandbox` module's private systemd user manager (`SystemdUserManager`, systemd's own binary) three ways, in the ")
                .append("same rounds:\n\n")
                .append("- **beckon deploy**: `bin/beckon deploy` as a process (JVM start included) on a fresh profile and state ")
                .append("directory: plan, lock, copy the package into the store, write 2N units atomically (with fsync), one reload, start ")
                .append("and verify each socket, record the generation. Then the **no-op redeploy** (nothing changed) and the ")
                .append("**removal** (an empty distribution).\n")
                .append("- **floor**: the same unit files beckon wrote (and their `sockets.target.wants/` links), copied into place by hand, ")
                .append("then one `systemctl --user daemon-reload` and one `systemctl --user start` of all N sockets.\n")
                .append("- **per-unit loop**: what a shell loop or a configuration-management role does: for each service its files, ")
                .append("`daemon-reload`, `start` of its socket.\n\n")
                .append(String.format(Locale.ROOT, "Medians of %d rounds (the per-unit loop: %d round%s), min to max in brackets, after one unmeasured "
                        + "deployment to warm the page cache; beckon and the floor take turns going first. A ratio is the median of "
                        + "the ratios within each round, both measured minutes apart at most. The baselines reach the "
                        + "private manager as `systemctl --user` with `XDG_RUNTIME_DIR` pointed at it (`SystemdUserManager.systemctl`); "
                        + "every variant is checked to leave all N sockets listening.%n%n", result.rounds(), result.loopRounds(),
                        result.loopRounds() == 1 ? "" : "s"))
                .append("| services | beckon deploy | floor | per-unit loop | beckon / floor | loop / beckon | beckon no-op | beckon removal |\n")
                .append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (DeployBenchmark.Count count : result.counts()) {
            page.append("| ").append(count.services())
                    .append(" | ").append(spread(count.stats(DeployBenchmark.BECKON)))
                    .append(" | ").append(spread(count.stats(DeployBenchmark.FLOOR)))
                    .append(" | ").append(count.has(DeployBenchmark.LOOP) ? spread(count.stats(DeployBenchmark.LOOP)) : "–")
                    .append(" | ").append(String.format(Locale.ROOT, "%.1fx", count.ratio(DeployBenchmark.BECKON, DeployBenchmark.FLOOR)))
                    .append(" | ").append(count.has(DeployBenchmark.LOOP)
                            ? String.format(Locale.ROOT, "%.1fx", count.ratio(DeployBenchmark.LOOP, DeployBenchmark.BECKON)) : "–")
                    .append(" | ").append(spread(count.stats(DeployBenchmark.NO_OP)))
                    .append(" | ").append(spread(count.stats(DeployBenchmark.REMOVE)))
                    .append(" |\n");
        }
        DeployBenchmark.Phases phases = largest.medianPhases();
        double jvm = largest.stats(DeployBenchmark.JVM_FLOOR).median();
        page.append(String.format(Locale.ROOT, "%nWhere `beckon deploy` of %d services spends its time, from when its progress lines arrive "
                + "(medians):%n%n", n))
                .append("| phase | time |\n| --- | ---: |\n")
                .append(String.format(Locale.ROOT, "| JVM start, load, resolve, ask the target, print the plan (the JVM start floor alone: %s) | %s |%n",
                        ms(jvm), ms(phases.planPrinted())))
                .append(String.format(Locale.ROOT, "| lock, journal, copy the package, write %d units, one reload, first activation | %s |%n", 2 * n,
                        ms(phases.firstActivated() - phases.planPrinted())))
                .append(String.format(Locale.ROOT, "| the other %d activations, one after the other (%s each) | %s |%n", n - 1,
                        ms((phases.lastActivated() - phases.firstActivated()) / Math.max(1, n - 1)),
                        ms(phases.lastActivated() - phases.firstActivated())))
                .append(String.format(Locale.ROOT, "| flush, record the generation (a git commit) | %s |%n", ms(phases.deployed() - phases.lastActivated())))
                .append(String.format(Locale.ROOT, "| JVM exit | %s |%n", ms(phases.exited() - phases.deployed())))
                .append(String.format(Locale.ROOT, "| **total** | **%s** |%n%n", ms(phases.exited())));
        page.append(String.format(Locale.ROOT, "The no-op redeploy of %d services, against what any Java command line costs, one step added at "
                + "a time (medians):%n%n", n))
                .append("| command | what it does beyond the row above | time |\n| --- | --- | ---: |\n")
                .append(String.format(Locale.ROOT, "| `java %s JvmFloor` | the JVM start floor: an empty main | %s |%n",
                        String.join(" ", PlanningBenchmark.BECKON_JVM_OPTIONS), spread(largest.stats(DeployBenchmark.JVM_FLOOR))))
                .append(String.format(Locale.ROOT, "| `beckon --version` | beckon's jar and picocli | %s |%n", spread(largest.stats(DeployBenchmark.VERSION))))
                .append(String.format(Locale.ROOT, "| `beckon validate` | loading the model | %s |%n", spread(largest.stats(DeployBenchmark.VALIDATE))))
                .append(String.format(Locale.ROOT, "| `beckon plan` | resolving it, reading the profile, asking systemd about every instance | %s |%n",
                        spread(largest.stats(DeployBenchmark.PLAN))))
                .append(String.format(Locale.ROOT, "| `beckon deploy` (no changes) | the profile lock and the journal check | %s |%n%n",
                        spread(largest.stats(DeployBenchmark.NO_OP))))
                .append("Each row is a process of its own, measured once per round; differences smaller than the spreads are noise.\n\n");
        page.append("![Deploy time against service count](benchmarks/deploy.svg)\n\n");
        writeChart(charts.resolve("deploy.svg"), deployChart(result));
        deployAims(result);
    }

    private SvgLineChart deployChart(DeployBenchmark.Result result) {
        SvgLineChart chart = new SvgLineChart("Deploying N on-demand services into systemd", "services", "time", true, true,
                v -> String.format(Locale.ROOT, "%.0f", v), BenchmarkReport::axisMillis);
        for (String variant : List.of(DeployBenchmark.BECKON, DeployBenchmark.FLOOR, DeployBenchmark.LOOP, DeployBenchmark.NO_OP)) {
            List<SvgLineChart.Point> points = new ArrayList<>();
            for (DeployBenchmark.Count count : result.counts()) {
                if (count.has(variant)) {
                    points.add(SvgLineChart.Point.of(count.services(), count.stats(variant).median()));
                }
            }
            chart.add(variant, points, false);
        }
        double jvm = result.largest().stats(DeployBenchmark.JVM_FLOOR).median();
        chart.add(DeployBenchmark.JVM_FLOOR, result.counts().stream().map(c -> SvgLineChart.Point.of(c.services(), jvm)).toList(), true);
        return chart;
    }

    private void deployAims(DeployBenchmark.Result result) {
        DeployBenchmark.Count largest = result.largest();
        int n = largest.services();
        double jvm = largest.stats(DeployBenchmark.JVM_FLOOR).median();
        DeployBenchmark.Phases phases = largest.medianPhases();
        double ratio = largest.ratio(DeployBenchmark.BECKON, DeployBenchmark.FLOOR);
        aims.add(new Aim(String.format(Locale.ROOT, "deploy %d on-demand services: beckon against the floor", n), "within 1.5x",
                measuredRatio(largest, DeployBenchmark.BECKON, DeployBenchmark.FLOOR), Status.of(ratio <= 1.5),
                String.format(Locale.ROOT, "the floor pays no JVM, no planning, no verification and no record. beckon: %s until its plan is "
                        + "printed (the JVM start floor alone %s); %s to lock, copy, write the units with fsync and reload; %d activations "
                        + "one after the other, %s each (a start job awaited over D-Bus, then the unit's state read back), %s in all; "
                        + "%s to record the generation; %s to exit", ms(phases.planPrinted()), ms(jvm),
                        ms(phases.firstActivated() - phases.planPrinted()), n, ms((phases.lastActivated() - phases.firstActivated()) / Math.max(1, n - 1)),
                        ms(phases.lastActivated() - phases.firstActivated()), ms(phases.deployed() - phases.lastActivated()),
                        ms(phases.exited() - phases.deployed()))));
        if (largest.has(DeployBenchmark.LOOP)) {
            double loop = largest.ratio(DeployBenchmark.LOOP, DeployBenchmark.BECKON);
            aims.add(new Aim(String.format(Locale.ROOT, "deploy %d on-demand services: the per-unit loop against beckon", n), "at least 10x slower",
                    measuredRatio(largest, DeployBenchmark.LOOP, DeployBenchmark.BECKON), Status.of(loop >= 10),
                    String.format(Locale.ROOT, "the loop's %d reloads cost %s per service on average, each re-reading every unit loaded "
                            + "so far; beckon's own time is limited as in the row above", n,
                            ms(largest.stats(DeployBenchmark.LOOP).median() / n))));
        }
        double noOp = largest.ratio(DeployBenchmark.NO_OP, DeployBenchmark.JVM_FLOOR);
        aims.add(new Aim(String.format(Locale.ROOT, "no-op redeploy of %d services against the JVM start floor", n), "within 1.5x",
                measuredRatio(largest, DeployBenchmark.NO_OP, DeployBenchmark.JVM_FLOOR), Status.of(noOp <= 1.5),
                String.format(Locale.ROOT, "each a process of its own: beckon's jar and picocli bring a JVM from %s to %s (`--version`); "
                        + "loading the model, to %s (`validate`); resolving it and asking systemd about each of the %d instances "
                        + "(unit files read, properties over D-Bus), to %s (`plan`); the no-op deploy, which also takes the profile's "
                        + "lock, %s", ms(jvm), ms(largest.stats(DeployBenchmark.VERSION).median()),
                        ms(largest.stats(DeployBenchmark.VALIDATE).median()), n, ms(largest.stats(DeployBenchmark.PLAN).median()),
                        ms(largest.stats(DeployBenchmark.NO_OP).median()))));
    }

    /** "6.5x (rounds: 4.1x, 6.5x, 7.0x; medians 11.1 s and 1.70 s)": the ratio, how it varied, what it is made of. */
    private static String measuredRatio(DeployBenchmark.Count count, String a, String b) {
        List<Double> ratios = count.ratios(a, b);
        String rounds = ratios.size() == 1 ? "one round" : "rounds: " + ratios.stream()
                .map(r -> String.format(Locale.ROOT, "%.1fx", r)).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "%.1fx (%s; medians %s and %s)", count.ratio(a, b), rounds,
                ms(Stats.of(count.millis().get(a).subList(0, ratios.size())).median()),
                ms(Stats.of(count.millis().get(b).subList(0, ratios.size())).median()));
    }

    // ---- cold activation -----------------------------------------------------------------------

    private void coldSection(StringBuilder page, ColdActivationBenchmark.Result result) {
        page.append("## 3. Cold activation\n\n")
                .append("Connect to first byte of the greeting, from a client on the same machine, through a socket in the sandbox's systemd. ")
                .append("The example's own `services.toml` (its port moved to a free one), deployed by beckon, beside more services ")
                .append("in the same model: the example again with `class-data-archive = false`, the same greeting written with nothing ")
                .append("but `System.inheritedChannel()` (`PlainGreetingServer`, in a jar of its own, same JVM options) with and without the class-data archive ")
                .append("beckon makes at deploy (a training start on the target, `-XX:ArchiveClassesAtExit`; the unit then names it with ")
                .append("`-XX:SharedArchiveFile`), the C example (`sd_listen_fds()`), and the example's server always running (bound its own ")
                .append("port). The JVM floor is `java` with the same options running an empty main, start to exit, no socket. Before each ")
                .append("socket-activated measurement the service is stopped with `systemctl stop` and its socket kept, so each one starts ")
                .append(String.format(Locale.ROOT, "a new process; they alternate, %d activations each after 3 discarded ones; p99 is the "
                        + "nearest rank (with 100 activations, the second slowest).%n%n", result.activations()))
                .append("| server | median | p99 | min | max |\n| --- | ---: | ---: | ---: | ---: |\n");
        for (String variant : result.millis().keySet()) {
            Stats stats = result.stats(variant);
            page.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", variant, ms(stats.median()), ms(stats.percentile(99)),
                    ms(stats.min()), ms(stats.max())));
        }
        Stats hello = result.stats(ColdActivationBenchmark.HELLO);
        Stats helloWithout = result.stats(ColdActivationBenchmark.HELLO_WITHOUT);
        Stats plain = result.stats(ColdActivationBenchmark.PLAIN);
        Stats plainWithout = result.stats(ColdActivationBenchmark.PLAIN_WITHOUT);
        Stats always = result.stats(ColdActivationBenchmark.ALWAYS);
        Stats floor = result.stats(ColdActivationBenchmark.JVM_FLOOR);
        double ratio = hello.median() / plainWithout.median();
        page.append(String.format(Locale.ROOT, "%nWith its archive, the hello-world example takes %.2fx the plain server without one at the "
                + "median (%.2fx at p99); without its archive, %.2fx. The archive saves the example %s at the median, the plain server %s. "
                + "A socket-activated first connection with the archive costs about %s more than one to a running server.%n%n", ratio,
                hello.percentile(99) / plainWithout.percentile(99), helloWithout.median() / plainWithout.median(),
                ms(helloWithout.median() - hello.median()), ms(plainWithout.median() - plain.median()), ms(hello.median() - always.median())));
        aims.add(new Aim("cold activation of hello-world with its class-data archive, against the plain server without one, median",
                "at most 0.7x", String.format(Locale.ROOT, "%.2fx: %s against %s (p99 %s against %s)", ratio, ms(hello.median()),
                        ms(plainWithout.median()), ms(hello.percentile(99)), ms(plainWithout.percentile(99))),
                ratio <= 0.7 ? Status.MET : Status.MISSED,
                String.format(Locale.ROOT, "a JVM's own start (the floor: %s for an empty main), which no archive of the application's "
                        + "classes removes; the archive removes loading, parsing and verifying the classes", ms(floor.median()))));
    }

    // ---- idle cost -----------------------------------------------------------------------------

    private void idleSection(StringBuilder page, IdleCostBenchmark.Result result) {
        IdleCostBenchmark.Footprint onDemand = result.onDemand();
        IdleCostBenchmark.Footprint alwaysOn = result.alwaysOn();
        page.append("## 4. Idle cost\n\n")
                .append(String.format(Locale.ROOT, "%d copies of the hello-world server in the sandbox's systemd, idle: on demand (deployed by "
                        + "`beckon deploy`, no client since), against always running (the units beckon renders for them without "
                        + "`on-demand`, `Type=exec`, started at once with one `systemctl start`, each having answered one client, "
                        + "measured 3 s after the last one answered); each way in a sandbox of its own. Memory from `/proc`: the sum "
                        + "of `VmRSS` of every process in the services' units (it counts the JVM's shared pages once per process), the sum of `Pss` from `smaps_rollup` "
                        + "(shared pages divided among their users: what the machine gives up), and the growth of the "
                        + "service manager's own resident set for holding the units.%n%n", result.services()))
                .append("| | on demand, idle | always running |\n| --- | ---: | ---: |\n")
                .append(String.format(Locale.ROOT, "| processes in the services' units | %d%s | %d%s |%n", onDemand.processes(),
                        programs(onDemand), alwaysOn.processes(), programs(alwaysOn)))
                .append(String.format(Locale.ROOT, "| resident memory, sum of VmRSS | %s | %s |%n", bytes(onDemand.residentBytes()),
                        bytes(alwaysOn.residentBytes())))
                .append(String.format(Locale.ROOT, "| proportional memory, sum of Pss | %s | %s |%n", bytes(onDemand.proportionalBytes()),
                        bytes(alwaysOn.proportionalBytes())))
                .append(String.format(Locale.ROOT, "| per service (Pss) | %s | %s |%n", bytes(onDemand.proportionalBytes() / result.services()),
                        bytes(alwaysOn.proportionalBytes() / result.services())))
                .append(String.format(Locale.ROOT, "| the systemd user manager's own growth | %s | %s |%n", bytes(onDemand.managerGrowthBytes()),
                        bytes(alwaysOn.managerGrowthBytes())))
                .append(String.format(Locale.ROOT, "| brought up in | %s (beckon deploy) | %s (start to all answering) |%n%n",
                        ms(onDemand.startMillis()), ms(alwaysOn.startMillis())));
        boolean nothing = onDemand.processes() == 0 && onDemand.residentBytes() == 0;
        aims.add(new Aim(String.format(Locale.ROOT, "%d idle on-demand services", result.services()), "no process, no memory (README: idle services cost no memory)",
                String.format(Locale.ROOT, "%d processes, %s; always running: %d processes, %s resident (%s Pss)", onDemand.processes(),
                        bytes(onDemand.residentBytes()), alwaysOn.processes(), bytes(alwaysOn.residentBytes()), bytes(alwaysOn.proportionalBytes())),
                Status.of(nothing), String.format(Locale.ROOT, "what remains is systemd's: its manager grew by %s for the %d sockets and services",
                        bytes(onDemand.managerGrowthBytes()), result.services())));
    }

    private static String programs(IdleCostBenchmark.Footprint footprint) {
        if (footprint.commands().isEmpty()) {
            return "";
        }
        if (footprint.commands().size() == 1) {
            return " (" + footprint.commands().keySet().iterator().next() + ")";
        }
        return " (" + footprint.commands().entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")) + ")";
    }

    // ---- closing note --------------------------------------------------------------------------

    private void closingNote(StringBuilder page) {
        page.append("## Closing note: every figure against its aim\n\n")
                .append("| figure | aim | measured | | what limits it |\n| --- | --- | --- | --- | --- |\n");
        for (Aim aim : aims) {
            page.append("| ").append(aim.figure()).append(" | ").append(aim.aim()).append(" | ").append(aim.measured()).append(" | ")
                    .append(aim.status().label).append(" | ").append(aim.limitedBy())
                    .append(" |\n");
        }
        long met = aims.stream().filter(a -> a.status() == Status.MET).count();
        long missed = aims.stream().filter(a -> a.status() == Status.MISSED).count();
        long undecided = aims.stream().filter(a -> a.status() == Status.UNDECIDED).count();
        page.append(String.format(Locale.ROOT, "%n%d of the %d aims met, %d missed%s.%n", met, met + missed + undecided, missed,
                undecided == 0 ? "" : ", " + undecided + " undecided (raise --plan-limit)"));
    }

    // ---- formatting ----------------------------------------------------------------------------

    private static void writeChart(Path file, SvgLineChart chart) {
        try {
            Files.writeString(file, chart.render());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String ms(double millis) {
        if (millis < 10) {
            return String.format(Locale.ROOT, "%.2f ms", millis);
        }
        if (millis < 1000) {
            return String.format(Locale.ROOT, "%.0f ms", millis);
        }
        if (millis < 10_000) {
            return String.format(Locale.ROOT, "%.2f s", millis / 1000);
        }
        return String.format(Locale.ROOT, millis < 100_000 ? "%.1f s" : "%.0f s", millis / 1000);
    }

    private static String ms(OptionalDouble millis) {
        return millis.isPresent() ? ms(millis.getAsDouble()) : "–";
    }

    /** A step's time, or, when its run was stopped at the limit before it ended, that it did not end. */
    private static String ms(OptionalDouble millis, PlanningBenchmark.Size size) {
        if (millis.isPresent()) {
            return ms(millis.getAsDouble());
        }
        return size.stopped() ? "> limit" : "–";
    }

    private static String spread(Stats stats) {
        if (stats.count() == 1) {
            return ms(stats.median());
        }
        return ms(stats.median()) + " (" + ms(stats.min()) + "–" + ms(stats.max()) + ")";
    }

    private static String axisMillis(double millis) {
        if (millis < 1000) {
            return String.format(Locale.ROOT, "%s ms", trim(millis));
        }
        return String.format(Locale.ROOT, "%s s", trim(millis / 1000));
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
    }

    static String count(double instances) {
        if (instances >= 1000 && instances % 1000 == 0) {
            return String.format(Locale.ROOT, "%.0fk", instances / 1000);
        }
        return String.format(Locale.ROOT, "%,.0f", instances);
    }

    static String bytes(long bytes) {
        if (bytes < 0) {
            return "–";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    private static String bytes(OptionalDouble bytes) {
        return bytes.isPresent() ? bytes((long) bytes.getAsDouble()) : "–";
    }
}
