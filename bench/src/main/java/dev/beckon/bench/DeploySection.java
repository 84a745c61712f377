package dev.beckon.bench;

import static dev.beckon.bench.BenchmarkReport.axisMillis;
import static dev.beckon.bench.BenchmarkReport.ms;
import static dev.beckon.bench.BenchmarkReport.spread;
import static dev.beckon.bench.BenchmarkReport.writeChart;

import dev.beckon.bench.BenchmarkReport.Aim;
import dev.beckon.bench.BenchmarkReport.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The benchmark page's section on deploying into real systemd against its floor and a per-unit loop, and its aims. */
final class DeploySection {
    /** The page's aims, which this section adds its own to. */
    private final List<Aim> aims;

    DeploySection(List<Aim> aims) {
        this.aims = aims;
    }

    void write(StringBuilder page, DeployBenchmark.Result result, Path charts) {
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
                .append(String.format(Locale.ROOT, "| lock, journal, copy the package, write %d units, one reload, start the %d sockets together, first activation | %s |%n", 2 * n, n,
                        ms(phases.firstActivated() - phases.planPrinted())))
                .append(String.format(Locale.ROOT, "| the other %d activations, each verifying its instance, one after the other (%s each) | %s |%n", n - 1,
                        ms((phases.lastActivated() - phases.firstActivated()) / Math.max(1, n - 1)),
                        ms(phases.lastActivated() - phases.firstActivated())))
                .append(String.format(Locale.ROOT, "| flush, record the generation (a git commit) | %s |%n", ms(phases.deployed() - phases.lastActivated())))
                .append(String.format(Locale.ROOT, "| JVM exit | %s |%n", ms(phases.exited() - phases.deployed())))
                .append(String.format(Locale.ROOT, "| **total** | **%s** |%n%n", ms(phases.exited())));
        page.append(String.format(Locale.ROOT, "The no-op redeploy of %d services, against what any Java command line costs, one step added at "
                + "a time (medians):%n%n", n))
                .append("| command | what it does beyond the row above | time | without the start archive |\n| --- | --- | ---: | ---: |\n")
                .append(String.format(Locale.ROOT, "| `java %s JvmFloor` | the JVM start floor: an empty main | %s | |%n",
                        String.join(" ", PlanningBenchmark.BECKON_JVM_OPTIONS), spread(largest.stats(DeployBenchmark.JVM_FLOOR))))
                .append(commandRow(largest, "beckon --version", "beckon's jar and picocli", DeployBenchmark.VERSION))
                .append(commandRow(largest, "beckon validate", "loading the model", DeployBenchmark.VALIDATE))
                .append(commandRow(largest, "beckon plan", "of a copy of the model elsewhere, the same system but not recognised:"
                        + " resolving it, reading the profile, asking systemd about every instance", DeployBenchmark.PLAN_RESOLVED))
                .append(commandRow(largest, "beckon plan", "of the model itself, unchanged since the deployment: reading the profile,"
                        + " recognising the model's files and packages as what its generation was resolved from, asking systemd; no"
                        + " loading or resolving", DeployBenchmark.PLAN))
                .append(String.format(Locale.ROOT, "| `beckon deploy` (no changes) | the same, and the profile lock and the journal check | %s | |%n%n",
                        spread(largest.stats(DeployBenchmark.NO_OP))))
                .append("Each row is a process of its own, measured once per round; differences smaller than the spreads are noise.\n\n");
        if (result.noOpProfile() != null) {
            NoOpProfile.Profile profile = result.noOpProfile();
            page.append(String.format(Locale.ROOT, "Where the no-op redeploy's main thread spends its time (%d runs under the JDK's flight "
                    + "recorder, without the start archive, %d samples of 2 ms in beckon's code; each counts for the innermost beckon "
                    + "method, with its caller, and so for the library and JDK code that method called; waiting for a D-Bus reply "
                    + "is not sampled):%n%n", profile.runs(), profile.samples()))
                    .append("| method ← its caller | share of the sampled time |\n| --- | ---: |\n");
            profile.rows().stream().limit(14).forEach(row -> page.append(
                    String.format(Locale.ROOT, "| `%s` | %.0f%% |%n", row.method(), 100 * row.share())));
            page.append('\n');
        }
        page.append("![Deploy time against service count](benchmarks/deploy.svg)\n\n");
        writeChart(charts.resolve("deploy.svg"), deployChart(result));
        deployAims(result);
    }

    /** A row of the no-op breakdown: the command with the start archive, and without it where that was measured. */
    private static String commandRow(DeployBenchmark.Count count, String command, String beyond, String variant) {
        String without = variant + DeployBenchmark.WITHOUT_ARCHIVE;
        return String.format(Locale.ROOT, "| `%s` | %s | %s | %s |%n", command, beyond, spread(count.stats(variant)),
                count.has(without) ? spread(count.stats(without)) : "–");
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
                        + "printed (the JVM start floor alone %s); %s to lock, copy, write the units with fsync, reload and start every "
                        + "socket as concurrent jobs (systemd runs them one after another, a few ms each); %d activations verifying "
                        + "their instance one after the other, %s each, %s in all; "
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
        double version = largest.ratio(DeployBenchmark.VERSION, DeployBenchmark.JVM_FLOOR);
        aims.add(new Aim("`beckon --version` against the JVM start floor", "within 2x",
                measuredRatio(largest, DeployBenchmark.VERSION, DeployBenchmark.JVM_FLOOR), Status.of(version <= 2),
                String.format(Locale.ROOT, "the launcher (a bash script), then a JVM that prints the jar's version before picocli is "
                        + "loaded; the launcher maps no start archive for `--version`, which would cost it more than it saves; "
                        + "with BECKON_START_ARCHIVE=0 %s",
                        ms(largest.stats(DeployBenchmark.VERSION + DeployBenchmark.WITHOUT_ARCHIVE).median()))));
        double noOp = largest.ratio(DeployBenchmark.NO_OP, DeployBenchmark.JVM_FLOOR);
        aims.add(new Aim(String.format(Locale.ROOT, "no-op redeploy of %d services against the JVM start floor", n),
                "within 3x (stretch: 1.5x)", measuredRatio(largest, DeployBenchmark.NO_OP, DeployBenchmark.JVM_FLOOR), Status.of(noOp <= 3),
                String.format(Locale.ROOT, "each a process of its own: beckon's jar and picocli bring a JVM from %s to %s (`--version`); "
                        + "loading the model, to %s (`validate`); resolving it and asking systemd about each of the %d instances "
                        + "(unit files read, properties over D-Bus), to %s (`plan` of a copy of the model); the unchanged model "
                        + "recognised instead of resolved, %s (`plan`); the no-op deploy, which also takes the profile's lock, %s. "
                        + "What is left is what any no-op must do: read the current generation's manifest (JSON, with "
                        + "jackson-core's parser), connect to systemd's bus, ask it about every unit, read and compare every unit "
                        + "file, and look at each package's inodes in the store (read again only when they changed); the profile "
                        + "above shows their shares. Under 3x of an empty JVM leaves about %s for all of it, less than loading the "
                        + "command line's and D-Bus library's classes alone takes in a JVM that keeps no state between commands",
                        ms(jvm), ms(largest.stats(DeployBenchmark.VERSION).median()),
                        ms(largest.stats(DeployBenchmark.VALIDATE).median()), n, ms(largest.stats(DeployBenchmark.PLAN_RESOLVED).median()),
                        ms(largest.stats(DeployBenchmark.PLAN).median()), ms(largest.stats(DeployBenchmark.NO_OP).median()),
                        ms(3 * jvm - largest.stats(DeployBenchmark.VERSION).median()))));
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
}
