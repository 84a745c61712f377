package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
        planning.ifPresent(result -> new PlanningSection(aims).write(page, result, charts));
        deploy.ifPresent(result -> new DeploySection(aims).write(page, result, charts));
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
                .append("bench/run --only scale --scale-targets 3 --docs /tmp/scale   # some of them, on a page of their own\n")
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
        List<Map.Entry<String, String>> loads = loadsByStage();
        Map.Entry<String, String> peak = loads.get(0);
        for (Map.Entry<String, String> load : loads) {
            if (oneMinute(load.getValue()) > oneMinute(peak.getValue())) {
                peak = load;
            }
        }
        if (oneMinute(peak.getValue()) > 1.0) {
            int at = loads.indexOf(peak);
            // The 1-minute average still holds the minute before: the benchmark that ran then, as well as anything else.
            String before = at <= 1 ? "" : String.format(Locale.ROOT, " The 1-minute average holds the minute before it too: "
                    + "the %s benchmark's own processes, which had just ended, as well as anything else on the machine.",
                    loads.get(at - 1).getKey());
            page.append(String.format(Locale.ROOT, "The load average reached %.1f on these %d cores when %s began.%s Single figures "
                    + "carry noise; the spreads (min to max) in the tables show how much. The ratios of alternatives measured in the "
                    + "same rounds are the figures to trust.", oneMinute(peak.getValue()), machine.cores(),
                    at == 0 ? "the run" : "the " + peak.getKey() + " benchmark", before));
        } else {
            page.append("The load average stayed at or below 1 when each benchmark began: little else ran.");
        }
        idle.ifPresent(r -> page.append(String.format(Locale.ROOT, " The load at the end includes the idle-cost benchmark's own %d "
                + "JVMs, started at once.", r.services())));
        page.append("\n\n");
    }

    /** The load average at the start of the run, then at the start of each benchmark that ran, by its name. */
    private List<Map.Entry<String, String>> loadsByStage() {
        List<Map.Entry<String, String>> loads = new ArrayList<>(List.of(Map.entry("run", loadAtStart)));
        planning.ifPresent(r -> loads.add(Map.entry("planning", r.loadAverage())));
        deploy.ifPresent(r -> loads.add(Map.entry("deploying", r.loadAverage())));
        cold.ifPresent(r -> loads.add(Map.entry("cold activation", r.loadAverage())));
        idle.ifPresent(r -> loads.add(Map.entry("idle cost", r.loadAverage())));
        slowloris.ifPresent(r -> loads.add(Map.entry("slowloris", r.loadAverage())));
        scale.ifPresent(r -> loads.add(Map.entry("many SSH targets", r.loadAverage())));
        return loads;
    }

    /** The 1-minute figure of a load average ("0.89 0.20 1.11"); 0 when it is unknown. */
    private static double oneMinute(String load) {
        try {
            return Double.parseDouble(load.split(" ")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---- cold activation -----------------------------------------------------------------------

    private void coldSection(StringBuilder page, ColdActivationBenchmark.Result result) {
        page.append("## 3. Cold activation\n\n")
                .append("Connect to first byte of the greeting, from a client on the same machine, through a socket in the sandbox's systemd. ")
                .append("The example's own `services.toml` (its port moved to a free one), deployed by beckon, beside more services ")
                .append("in the same model: the example again with `class-data-archive = false`, the same greeting written with nothing ")
                .append("but `System.inheritedChannel()` (`PlainGreetingServer`, in a jar of its own, same JVM options) with and without the class-data archive ")
                .append("beckon makes at deploy (a training start on the target, `-XX:ArchiveClassesAtExit`; the unit then names it with ")
                .append("`-XX:SharedArchiveFile`), the plain server's greeting written with the idle-monitor instead (`MonitoredGreetingServer`: ")
                .append("`IdleMonitor.start()` and its `accept()`, in a jar of its own beside the library's one jar, same socket on standard input) ")
                .append("with and without an archive, ")
                .append("the C example (`sd_listen_fds()`), and the example's server always running (bound its own ")
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
        Stats monitored = result.stats(ColdActivationBenchmark.MONITORED);
        Stats monitoredWithout = result.stats(ColdActivationBenchmark.MONITORED_WITHOUT);
        double cost = monitored.median() - plain.median();
        double costWithout = monitoredWithout.median() - plainWithout.median();
        page.append(String.format(Locale.ROOT, "The idle-monitor's own cost before the first connection, the same greeting through it "
                + "against plain `inheritedChannel()`, medians: %s with archives (%s against %s), %s without (%s against %s).%n%n",
                ms(cost), ms(monitored.median()), ms(plain.median()), ms(costWithout), ms(monitoredWithout.median()),
                ms(plainWithout.median())));
        String libraryWhy = "the library's own classes (about 20 before the first accept), loaded, parsed and verified from its jar;"
                + " the archive beckon makes at deploy removes most of that";
        aims.add(new Aim("the idle-monitor's cost before the first connection, with the archives beckon makes, median",
                "at most 3 ms", String.format(Locale.ROOT, "%s: %s against %s", ms(cost), ms(monitored.median()), ms(plain.median())),
                cost <= 3 ? Status.MET : Status.MISSED, libraryWhy));
        aims.add(new Aim("the idle-monitor's cost before the first connection, without archives, median",
                "at most 3 ms", String.format(Locale.ROOT, "%s: %s against %s", ms(costWithout), ms(monitoredWithout.median()),
                        ms(plainWithout.median())), costWithout <= 3 ? Status.MET : Status.MISSED, libraryWhy));
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

    static void writeChart(Path file, SvgLineChart chart) {
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

    static String ms(OptionalDouble millis) {
        return millis.isPresent() ? ms(millis.getAsDouble()) : "–";
    }

    /** A step's time, or, when its run was stopped at the limit before it ended, that it did not end. */
    static String ms(OptionalDouble millis, PlanningBenchmark.Size size) {
        if (millis.isPresent()) {
            return ms(millis.getAsDouble());
        }
        return size.stopped() ? "> limit" : "–";
    }

    static String spread(Stats stats) {
        if (stats.count() == 1) {
            return ms(stats.median());
        }
        return ms(stats.median()) + " (" + ms(stats.min()) + "–" + ms(stats.max()) + ")";
    }

    static String axisMillis(double millis) {
        if (millis < 1000) {
            return String.format(Locale.ROOT, "%s ms", trim(millis));
        }
        return String.format(Locale.ROOT, "%s s", trim(millis / 1000));
    }

    static String trim(double value) {
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

    static String bytes(OptionalDouble bytes) {
        return bytes.isPresent() ? bytes((long) bytes.getAsDouble()) : "–";
    }
}
