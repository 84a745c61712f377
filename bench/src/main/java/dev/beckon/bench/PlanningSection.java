package dev.beckon.bench;

import static dev.beckon.bench.BenchmarkReport.axisMillis;
import static dev.beckon.bench.BenchmarkReport.bytes;
import static dev.beckon.bench.BenchmarkReport.count;
import static dev.beckon.bench.BenchmarkReport.ms;
import static dev.beckon.bench.BenchmarkReport.writeChart;

import dev.beckon.bench.BenchmarkReport.Aim;
import dev.beckon.bench.BenchmarkReport.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/** The benchmark page's section on planning at scale, and its aims. */
final class PlanningSection {
    /** The page's aims, which this section adds its own to. */
    private final List<Aim> aims;

    PlanningSection(List<Aim> aims) {
        this.aims = aims;
    }

    void write(StringBuilder page, PlanningBenchmark.Result result, Path charts) {
        List<PlanningBenchmark.Size> sizes = result.sizes();
        PlanningBenchmark.Size first = sizes.get(0);
        page.append("## 1. Planning at scale\n\n")
                .append("Synthetic models of S services on T targets, every service on every target (`SyntheticModel`): half on demand, ")
                .append("in dependency chains of ten where each connects to the one before through `{deps.NAME.host}` and ")
                .append("`{deps.NAME.ports.http}`, with ports, environment and a target property, over eight shared packages. ")
                .append("Each size is written as TOML into a temporary directory and run through the real `ModelLoader.load` ")
                .append("(parsing and validation), `ManifestResolver.resolve` (placeholders, package hashes, rendered units, ")
                .append("content hashes) and `Planner.plan`, in a fresh JVM started with `bin/beckon`'s options (")
                .append(String.join(" ", PlanningBenchmark.BECKON_JVM_OPTIONS)).append(")")
                .append(result.archived() ? " and a class-data archive of the classes it loads (made by one run on the smallest model with "
                        + "`-XX:ArchiveClassesAtExit`), as `bin/beckon` maps its start archive, so as `beckon plan` would meet it; each size "
                        + "once more without the archive. " : ", as `beckon plan` would meet it, but without a class-data archive: the "
                        + "training run that makes one failed (bin/beckon maps its start archive). ")
                .append("*First plan*: against an empty profile, every instance to activate. *No-op plan*: against a last ")
                .append("deployment equal to the model, the everyday case. Live state is not asked (no targets run them). ")
                .append("Times are medians over the runs; a run stopped at the ")
                .append(first.limitMillis() / 1000 > 0 ? String.format(Locale.ROOT, "%.0f s", first.limitMillis() / 1000) : "")
                .append(" limit shows what it had finished.\n\n")
                .append("| instances | services x targets | runs | load | resolve | plan | **first plan** | JVM uptime at first plan | the same, without the archive | no-op plan step | **no-op plan** | heap retained | heap peak | peak RSS |\n")
                .append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (PlanningBenchmark.Size size : sizes) {
            page.append("| ").append(String.format(Locale.ROOT, "%,d", size.instances()))
                    .append(" | ").append(size.services()).append(" x ").append(size.targets())
                    .append(" | ").append(size.runs())
                    .append(" | ").append(ms(size.load(), size))
                    .append(" | ").append(ms(size.resolve(), size))
                    .append(" | ").append(ms(size.plan(), size))
                    .append(" | **").append(ms(size.firstPlan(), size)).append("**")
                    .append(" | ").append(ms(size.uptimeAtPlan(), size))
                    .append(" | ").append(ms(size.uptimeAtPlanWithoutArchive(), size))
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
                String measured = ms(uptime) + (size.uptimeAtPlanWithoutArchive().isPresent()
                        ? " (without the class-data archive " + ms(size.uptimeAtPlanWithoutArchive()) + ")" : "");
                aims.add(new Aim("10k instances planned, since JVM start", "well under 1 s", measured, Status.of(uptime < 1000),
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
        sizes.stream().filter(s -> s.instances() == 50_000).findFirst().ifPresent(size -> {
            String figure = "50k instances planned, since JVM start";
            if (size.uptimeAtPlan().isPresent()) {
                double uptime = size.uptimeAtPlan().getAsDouble();
                String measured = ms(uptime) + (size.uptimeAtPlanWithoutArchive().isPresent()
                        ? " (without the class-data archive " + ms(size.uptimeAtPlanWithoutArchive()) + ")" : "");
                aims.add(new Aim(figure, "under 5 s", measured, Status.of(uptime < 5000), String.format(Locale.ROOT,
                        "load %s, resolve %s (the instances on every core), plan %s; heap peak %s", ms(size.load()), ms(size.resolve()),
                        ms(size.plan()), bytes(size.peakHeapBytes()))));
            } else {
                aims.add(new Aim(figure, "under 5 s", "not finished within " + ms(size.limitMillis()), Status.MISSED, hotFirst));
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
}
