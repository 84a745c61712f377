package dev.beckon.bench;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import dev.beckon.planner.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs every benchmark in one go and writes {@code docs/benchmarks.md} with its charts. Started by
 * {@code bench/run} from the repository's root, after the build.
 */
@Command(name = "bench/run", sortOptions = false,
        description = {"Runs beckon's benchmarks in one go and writes docs/benchmarks.md and docs/benchmarks/*.svg.",
                "Needs root (the private systemd user manager). The defaults fit in about ten minutes on a 2-core machine:",
                "they stop a planning run after 60 s, long before the 50k-instance model is planned; to see it end, add",
                "--plan-limit 900 (several minutes more). The many-SSH-targets benchmark (scale) adds about 14 minutes",
                "on a loaded 2-core machine."})
public final class BenchmarkRun implements Callable<Integer> {
    private static final Set<String> BENCHMARKS = Set.of("plan", "deploy", "cold", "idle", "upgrade", "slowloris", "scale");

    @Option(names = "--plan-sizes", split = ",", paramLabel = "N", description = "Instances of the synthetic models (default: ${DEFAULT-VALUE}).",
            defaultValue = "1000,10000,50000")
    List<Integer> planSizes;

    @Option(names = "--plan-targets", paramLabel = "T", description = "Targets they are spread over (default: ${DEFAULT-VALUE}).",
            defaultValue = "20")
    int planTargets;

    @Option(names = "--plan-repeats", paramLabel = "R", description = "Fresh JVMs per size, fewer once a size took 20 s (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int planRepeats;

    @Option(names = "--plan-limit", paramLabel = "SECONDS", description = "A planning run is stopped after this (default: ${DEFAULT-VALUE}).",
            defaultValue = "60")
    int planLimitSeconds;

    @Option(names = "--deploy-counts", split = ",", paramLabel = "N", description = "On-demand services deployed (default: ${DEFAULT-VALUE}).",
            defaultValue = "50,100,200")
    List<Integer> deployCounts;

    @Option(names = "--rounds", paramLabel = "R", description = "Rounds of beckon against the floor (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int rounds;

    @Option(names = "--loop-rounds", paramLabel = "R", description = "Rounds of the slow per-unit loop (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    int loopRounds;

    @Option(names = "--activations", paramLabel = "N", description = "Cold activations of each server (default: ${DEFAULT-VALUE}).",
            defaultValue = "100")
    int activations;

    @Option(names = "--idle-services", paramLabel = "N", description = "Services of the idle-cost comparison (default: ${DEFAULT-VALUE}).",
            defaultValue = "200")
    int idleServices;

    @Option(names = "--upgrades", paramLabel = "N", description = "Upgrades of an always-on service under a looping client (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int upgrades;

    @Option(names = "--slowloris-clients", paramLabel = "N", description = "Idle clients held open against the echo server (default: ${DEFAULT-VALUE}).",
            defaultValue = "10000")
    int slowlorisClients;

    @Option(names = "--slowloris-bound", paramLabel = "N", description = "Its connection bound, BECKON_MAX_CONNECTIONS (default: ${DEFAULT-VALUE}).",
            defaultValue = "500")
    int slowlorisBound;

    @Option(names = "--scale-targets", paramLabel = "T", description = "SSH targets of the many-targets benchmark (default: ${DEFAULT-VALUE}).",
            defaultValue = "20")
    int scaleTargets;

    @Option(names = "--scale-services", paramLabel = "S", description = "Services on each of them (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    int scaleServices;

    @Option(names = "--scale-rounds", paramLabel = "R", description = "Pairs of T targets against one (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int scaleRounds;

    @Option(names = "--scale-parallel", paramLabel = "N", description = "beckon deploy --parallel for them (default: beckon's own, ${DEFAULT-VALUE}).",
            defaultValue = "" + dev.beckon.planner.deploy.Deployments.DEFAULT_PARALLEL)
    int scaleParallel;

    @Option(names = "--only", split = ",", paramLabel = "NAME", description = "Run only these of plan, deploy, cold, idle, upgrade, slowloris, scale (default: all).")
    List<String> only;

    @Option(names = "--docs", paramLabel = "DIR", description = "Where benchmarks.md goes (default: ${DEFAULT-VALUE}; with --only, "
            + "required, so that a page of some benchmarks does not take the place of the whole run's).", defaultValue = "docs")
    Path docs;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--keep-work", description = "Keep the temporary directory with the models, units and profiles.")
    boolean keepWork;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    /** As given, for the report to say how it was made. */
    private final List<String> arguments;

    private BenchmarkRun(List<String> arguments) {
        this.arguments = arguments;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchmarkRun(List.of(args))).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(root.resolve("bin/beckon"))) {
            throw new IllegalStateException("run me from the repository's root (bench/run does)");
        }
        List<String> selected = only == null ? List.of("plan", "deploy", "cold", "idle", "upgrade", "slowloris", "scale") : only;
        if (!BENCHMARKS.containsAll(selected)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--only takes plan, deploy, cold, idle, upgrade, slowloris, scale; got "
                    + selected);
        }
        if (only != null && !spec.commandLine().getParseResult().hasMatchedOption("--docs")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--only writes a page of only those benchmarks: say where with "
                    + "--docs DIR (docs/benchmarks.md is the whole run's)");
        }
        if (selected.contains("scale") && (scaleTargets < 2 || scaleTargets > 200 || scaleServices < 1 || scaleRounds < 1 || scaleParallel < 1)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--scale-targets takes 2 to 200 (addresses 127.0.0.2 up), "
                    + "--scale-services, --scale-rounds and --scale-parallel at least 1; got " + scaleTargets + ", " + scaleServices + ", "
                    + scaleRounds + ", " + scaleParallel);
        }
        long began = System.nanoTime();
        Machine machine = Machine.describe();
        String loadAtStart = Machine.loadAverage();
        Path work = Files.createTempDirectory("beckon-bench-");
        Path helloServer = root.resolve("example-systems/hello-world/target/hello-server");
        if (!Files.isRegularFile(helloServer.resolve("hello-server.jar"))) {
            throw new IllegalStateException(helloServer + " is not built: run bench/run, which builds it");
        }
        BeckonCli beckon = new BeckonCli(root);
        System.out.println("beckon benchmarks on " + machine.cpu() + ", " + machine.cores() + " cores; work directory " + work);
        try {
            Optional<PlanningBenchmark.Result> planning = Optional.empty();
            Optional<DeployBenchmark.Result> deploy = Optional.empty();
            Optional<ColdActivationBenchmark.Result> cold = Optional.empty();
            Optional<IdleCostBenchmark.Result> idle = Optional.empty();
            Optional<UpgradeRefusalBenchmark.Result> upgrade = Optional.empty();
            Optional<SlowlorisBenchmark.Result> slowloris = Optional.empty();
            Optional<ScaleBenchmark.Result> scale = Optional.empty();
            if (selected.contains("plan")) {
                heading("planning at scale: " + planSizes.stream().map(String::valueOf).collect(Collectors.joining(", ")) + " instances");
                planning = Optional.of(new PlanningBenchmark(Files.createDirectories(work.resolve("planning")), planSizes, planTargets,
                        planRepeats, Duration.ofSeconds(planLimitSeconds), 10_000).run());
            }
            if (selected.contains("deploy")) {
                heading("deploying " + deployCounts + " on-demand services: beckon, the floor, the per-unit loop");
                deploy = Optional.of(new DeployBenchmark(Files.createDirectories(work.resolve("deploy")), helloServer, beckon, deployCounts,
                        rounds, loopRounds).run());
            }
            if (selected.contains("cold")) {
                heading("cold activation: " + activations + " each");
                cold = Optional.of(new ColdActivationBenchmark(Files.createDirectories(work.resolve("cold")), root, beckon, activations).run());
            }
            if (selected.contains("idle")) {
                heading("idle cost: " + idleServices + " services");
                idle = Optional.of(new IdleCostBenchmark(Files.createDirectories(work.resolve("idle")), helloServer, beckon, idleServices).run());
            }
            if (selected.contains("upgrade")) {
                heading("refused connections during " + upgrades + " always-on upgrades: socket held by systemd, or bound by the server");
                upgrade = Optional.of(new UpgradeRefusalBenchmark(Files.createDirectories(work.resolve("upgrade")), helloServer, beckon,
                        upgrades).run());
            }
            if (selected.contains("slowloris")) {
                heading(String.format(Locale.ROOT, "slowloris: %,d idle clients held open, a bound of %,d and none", slowlorisClients,
                        slowlorisBound));
                slowloris = Optional.of(new SlowlorisBenchmark(Files.createDirectories(work.resolve("slowloris")), slowlorisClients,
                        slowlorisBound).run());
            }
            if (selected.contains("scale")) {
                heading(String.format(Locale.ROOT, "%d services on each of %d SSH targets, against the same on one", scaleServices, scaleTargets));
                scale = Optional.of(new ScaleBenchmark(Files.createDirectories(work.resolve("scale")), helloServer, beckon, scaleTargets,
                        scaleServices, scaleRounds, scaleParallel).run());
            }
            double minutes = (System.nanoTime() - began) / 60e9;
            BenchmarkReport report = new BenchmarkReport(machine, commandLine(), loadAtStart, Machine.loadAverage(), minutes, planning,
                    deploy, cold, idle, upgrade, slowloris, scale);
            Path page = report.write(docs.toAbsolutePath());
            heading("aims");
            for (BenchmarkReport.Aim aim : report.aims()) {
                System.out.printf(Locale.ROOT, "  %-8s %s: %s (aim: %s)%n", aim.status().name().toLowerCase(Locale.ROOT), aim.figure(),
                        aim.measured(), aim.aim());
            }
            System.out.printf(Locale.ROOT, "%nWrote %s in %.1f minutes.%n", page.startsWith(root) ? root.relativize(page) : page, minutes);
            if (keepWork) {
                System.out.println("Kept " + work);
            } else {
                Store.deleteTree(work);
            }
            return 0;
        } catch (Exception | Error e) {
            System.err.println("Kept " + work + " for a look at what failed (the sandboxes' journals are in its */sandbox/journal).");
            throw e;
        }
    }

    private String commandLine() {
        List<String> words = new ArrayList<>(List.of("bench/run"));
        words.addAll(arguments);
        return String.join(" ", words);
    }

    private static void heading(String text) {
        System.out.println();
        System.out.println("== " + text);
    }

    /** This JVM's class path with absolute entries, for the JVMs the benchmarks start in other directories. */
    static String classPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }

    /** The directory or jar a class was loaded from. */
    static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
