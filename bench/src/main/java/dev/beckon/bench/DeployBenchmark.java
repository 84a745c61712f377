package dev.beckon.bench;

import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Deploying on-demand services into a real systemd (the sandbox's private user manager), by beckon
 * and by the two ways without it, in one run, rounds interleaved:
 *
 * <ul>
 *   <li>beckon: {@code bin/beckon deploy} of a fresh profile, as a process, JVM start included; then
 *       the no-op redeploy, and removal (an empty distribution);
 *   <li>the floor: the unit files beckon wrote, copied into place by hand, one {@code daemon-reload},
 *       one {@code systemctl start} of every socket;
 *   <li>the per-unit loop of a shell script or a configuration-management role: for each service, its
 *       files, {@code daemon-reload}, {@code systemctl start} of its socket.
 * </ul>
 *
 * Both baselines drive the manager with {@code systemctl --user} processes, as a script would.
 */
final class DeployBenchmark {
    static final String BECKON = "beckon deploy";
    static final String FLOOR = "floor: files, one reload, one start";
    static final String LOOP = "per-unit loop: reload + start each";
    static final String NO_OP = "beckon no-op redeploy";
    static final String REMOVE = "beckon removal";
    static final String JVM_FLOOR = "JVM start floor";
    static final String VERSION = "beckon --version";
    static final String VALIDATE = "beckon validate";
    static final String PLAN = "beckon plan (no changes)";
    /** The plan of a copy of the model in another directory: the same system, but not recognised, so resolved in full. */
    static final String PLAN_RESOLVED = "beckon plan (no changes, a copy of the model: resolved)";
    /** The three commands again, started without the start archive (BECKON_START_ARCHIVE=0). */
    static final String WITHOUT_ARCHIVE = " (without the start archive)";
    private static final Map<String, String> NO_START_ARCHIVE = Map.of("BECKON_START_ARCHIVE", "0");

    /** Where the time of one {@code beckon deploy} went, read from when its progress lines arrived, in ms. */
    record Phases(double planPrinted, double firstActivated, double lastActivated, double deployed, double exited) {}

    /** Every measurement at one service count, by variant, in ms. */
    record Count(int services, Map<String, List<Double>> millis, List<Phases> phases) {
        Stats stats(String variant) {
            return Stats.of(millis.get(variant));
        }

        /** Each round's {@code a / b}, both measured in that round, in round order. */
        List<Double> ratios(String a, String b) {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < Math.min(millis.get(a).size(), millis.get(b).size()); i++) {
                ratios.add(millis.get(a).get(i) / millis.get(b).get(i));
            }
            return ratios;
        }

        /** The median of the rounds' ratios: noise that comes and goes between rounds cancels out within one. */
        double ratio(String a, String b) {
            return Stats.of(ratios(a, b)).median();
        }

        boolean has(String variant) {
            return millis.containsKey(variant) && !millis.get(variant).isEmpty();
        }

        Phases medianPhases() {
            return new Phases(Stats.of(phases.stream().map(Phases::planPrinted).toList()).median(),
                    Stats.of(phases.stream().map(Phases::firstActivated).toList()).median(),
                    Stats.of(phases.stream().map(Phases::lastActivated).toList()).median(),
                    Stats.of(phases.stream().map(Phases::deployed).toList()).median(),
                    Stats.of(phases.stream().map(Phases::exited).toList()).median());
        }
    }

    /** @param noOpProfile where the no-op redeploy of the largest count spends its time; null when it was not taken */
    record Result(List<Count> counts, int rounds, int loopRounds, String loadAverage, NoOpProfile.Profile noOpProfile) {
        Count largest() {
            return counts.get(counts.size() - 1);
        }
    }

    private final Path work;
    private final Path helloServer;
    private final BeckonCli beckon;
    private final List<Integer> counts;
    private final int rounds;
    private final int loopRounds;

    DeployBenchmark(Path work, Path helloServer, BeckonCli beckon, List<Integer> counts, int rounds, int loopRounds) {
        this.work = work;
        this.helloServer = helloServer;
        this.beckon = beckon;
        this.counts = counts.stream().sorted().toList();
        this.rounds = rounds;
        this.loopRounds = loopRounds;
    }

    Result run() throws IOException {
        String load = Machine.loadAverage();
        int largest = counts.get(counts.size() - 1);
        Map<Integer, Count> results = new LinkedHashMap<>();
        NoOpProfile.Profile noOpProfile = null;
        for (int services : counts) {
            results.put(services, new Count(services, new LinkedHashMap<>(), new ArrayList<>()));
        }
        try (SystemdUserManager systemd = SystemdUserManager.start(work.resolve("sandbox"))) {
            List<Integer> ports = Sockets.freePorts(largest);
            warmUp(systemd, ports.subList(0, counts.get(0)));
            Map<Integer, Path> snapshots = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (int services : counts) {
                    Count count = results.get(services);
                    Path roundDirectory = work.resolve("round-" + round + "/services-" + services);
                    Path model = HelloModels.write(roundDirectory.resolve("model"), helloServer, ports.subList(0, services), systemd,
                            roundDirectory.resolve("state"), true);
                    String home = roundDirectory.resolve("home").toString();

                    // The snapshot for the floor exists from round 1 on; alternating who goes first evens out what one leaves the other.
                    boolean floorFirst = round % 2 == 1;
                    if (floorFirst) {
                        add(count, FLOOR, floor(systemd, snapshots.get(services), services));
                    }
                    Command.Result deployed = beckon.run("deploy", model.toString(), "--home", home, "-m", "bench").requireSuccess();
                    requireListening(systemd, services);
                    add(count, BECKON, deployed.millis());
                    count.phases().add(phases(deployed));
                    if (!snapshots.containsKey(services)) {
                        snapshots.put(services, snapshot(systemd.unitDirectory(), roundDirectory.resolve("units")));
                    }

                    Command.Result noOp = beckon.run("deploy", model.toString(), "--home", home).requireSuccess();
                    if (!noOp.output().startsWith("No changes.")) {
                        throw new IllegalStateException("the redeploy was no no-op:\n" + noOp.output());
                    }
                    add(count, NO_OP, noOp.millis());
                    if (services == largest) {
                        add(count, JVM_FLOOR, beckon.jvmFloor().requireSuccess().millis());
                        add(count, VERSION, beckon.run("--version").requireSuccess().millis());
                        add(count, VALIDATE, beckon.run("validate", model.toString()).requireSuccess().millis());
                        add(count, PLAN, beckon.run("plan", model.toString(), "--home", home).requireSuccess().millis());
                        add(count, VERSION + WITHOUT_ARCHIVE, beckon.run(NO_START_ARCHIVE, process -> {}, "--version").requireSuccess().millis());
                        add(count, VALIDATE + WITHOUT_ARCHIVE, beckon.run(NO_START_ARCHIVE, process -> {}, "validate", model.toString())
                                .requireSuccess().millis());
                        add(count, PLAN + WITHOUT_ARCHIVE, beckon.run(NO_START_ARCHIVE, process -> {}, "plan", model.toString(), "--home", home)
                                .requireSuccess().millis());
                        Path copy = copyOfModel(model, roundDirectory.resolve("model-copy"));
                        Command.Result resolved = beckon.run("plan", copy.toString(), "--home", home).requireSuccess();
                        if (!resolved.output().startsWith("No changes.")) {
                            throw new IllegalStateException("the plan of a copy of the model was no no-op:\n" + resolved.output());
                        }
                        add(count, PLAN_RESOLVED, resolved.millis());
                        if (noOpProfile == null) {
                            noOpProfile = NoOpProfile.of(beckon, roundDirectory.resolve("no-op-profile"), 5, "deploy", model.toString(), "--home", home);
                        }
                    }

                    Command.Result removed = beckon.run("deploy", model.toString(), "--home", home, "--distribution",
                            model.resolve("empty-distribution.toml").toString()).requireSuccess();
                    add(count, REMOVE, removed.millis());
                    requireNoUnits(systemd);

                    if (!floorFirst) {
                        add(count, FLOOR, floor(systemd, snapshots.get(services), services));
                    }
                    if (round < loopRounds) {
                        add(count, LOOP, perUnitLoop(systemd, snapshots.get(services), services));
                    }
                    System.out.printf(Locale.ROOT, "  round %d, %d services: beckon %.0f ms, floor %.0f ms%s, no-op %.0f ms, removal %.0f ms%n",
                            round + 1, services, deployed.millis(), lastOf(count, FLOOR),
                            round < loopRounds ? String.format(Locale.ROOT, ", per-unit loop %.0f ms", lastOf(count, LOOP)) : "",
                            noOp.millis(), removed.millis());
                }
            }
        }
        return new Result(List.copyOf(results.values()), rounds, loopRounds, load, noOpProfile);
    }

    /**
     * One deployment, redeployment and removal that are not measured: the first beckon of a run reads
     * its jars from disk and the manager loads its first units, which no later one pays.
     */
    private void warmUp(SystemdUserManager systemd, List<Integer> ports) throws IOException {
        Path directory = work.resolve("warm-up");
        Path model = HelloModels.write(directory.resolve("model"), helloServer, ports, systemd, directory.resolve("state"), true);
        String home = directory.resolve("home").toString();
        beckon.run("deploy", model.toString(), "--home", home).requireSuccess();
        beckon.run("deploy", model.toString(), "--home", home).requireSuccess();
        beckon.run("deploy", model.toString(), "--home", home, "--distribution", model.resolve("empty-distribution.toml").toString())
                .requireSuccess();
        beckon.jvmFloor().requireSuccess();
        requireNoUnits(systemd);
    }

    /** Copies what beckon wrote into the unit directory (units and their {@code .wants/} links), for the baselines to write again. */
    private static Path snapshot(Path unitDirectory, Path saved) throws IOException {
        copyTree(unitDirectory, saved, path -> true);
        return saved;
    }

    /** The floor: every file written, one reload, one start of every socket. */
    private double floor(SystemdUserManager systemd, Path saved, int services) throws IOException {
        long began = System.nanoTime();
        copyTree(saved, systemd.unitDirectory(), path -> true);
        require(systemd.systemctl("daemon-reload"), "daemon-reload");
        List<String> start = new ArrayList<>(List.of("start"));
        for (int i = 0; i < services; i++) {
            start.add(HelloModels.unit(i, ".socket"));
        }
        require(systemd.systemctl(start.toArray(String[]::new)), "start of every socket");
        double millis = (System.nanoTime() - began) / 1e6;
        requireListening(systemd, services);
        tearDown(systemd, services);
        return millis;
    }

    /** What a shell loop or a configuration-management role does: each unit written, reloaded and started in turn. */
    private double perUnitLoop(SystemdUserManager systemd, Path saved, int services) throws IOException {
        long began = System.nanoTime();
        for (int i = 0; i < services; i++) {
            String prefix = HelloModels.unit(i, ".");
            copyTree(saved, systemd.unitDirectory(), path -> path.getFileName().toString().startsWith(prefix));
            require(systemd.systemctl("daemon-reload"), "daemon-reload");
            require(systemd.systemctl("start", HelloModels.unit(i, ".socket")), "start");
        }
        double millis = (System.nanoTime() - began) / 1e6;
        requireListening(systemd, services);
        tearDown(systemd, services);
        return millis;
    }

    private static void tearDown(SystemdUserManager systemd, int services) throws IOException {
        List<String> stop = new ArrayList<>(List.of("stop"));
        for (int i = 0; i < services; i++) {
            stop.add(HelloModels.unit(i, ".socket"));
            stop.add(HelloModels.unit(i, ".service"));
        }
        require(systemd.systemctl(stop.toArray(String[]::new)), "stop");
        try (Stream<Path> paths = Files.walk(systemd.unitDirectory())) {
            for (Path path : paths.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList()) {
                Files.delete(path);
            }
        }
        require(systemd.systemctl("daemon-reload"), "daemon-reload");
        requireNoUnits(systemd);
    }

    private static void requireListening(SystemdUserManager systemd, int services) {
        List<String> show = new ArrayList<>(List.of("show", "--property=ActiveState", "--value"));
        for (int i = 0; i < services; i++) {
            show.add(HelloModels.unit(i, ".socket"));
        }
        CommandResult states = require(systemd.systemctl(show.toArray(String[]::new)), "show");
        long active = states.stdout().lines().filter(line -> line.equals("active")).count();
        if (active != services) {
            throw new IllegalStateException(active + " of " + services + " sockets are active:\n" + states.stdout());
        }
    }

    private static void requireNoUnits(SystemdUserManager systemd) throws IOException {
        try (Stream<Path> paths = Files.walk(systemd.unitDirectory())) {
            List<Path> left = paths.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList();
            if (!left.isEmpty()) {
                throw new IllegalStateException("units left behind: " + left);
            }
        }
    }

    /** The times at which {@code beckon deploy}'s progress lines arrived. */
    private static Phases phases(Command.Result deployed) {
        return new Phases(deployed.arrival("beckon will:").orElseThrow(), deployed.arrival("[local] + ").orElseThrow(),
                deployed.lastArrival("[local] + ").orElseThrow(), deployed.arrival("Deployed generation").orElseThrow(), deployed.millis());
    }

    /** The three files of a model, copied into {@code to}: the same system elsewhere (its packages are named by absolute paths). */
    private static Path copyOfModel(Path model, Path to) throws IOException {
        Files.createDirectories(to);
        for (String name : List.of("services.toml", "infrastructure.toml", "distribution.toml")) {
            Files.copy(model.resolve(name), to.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return to;
    }

    /** Copies files and symbolic links (as links) under {@code from} that {@code which} accepts, keeping the layout. */
    private static void copyTree(Path from, Path to, java.util.function.Predicate<Path> which) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(from)) {
            paths = walk.sorted(Comparator.naturalOrder()).toList();
        }
        for (Path source : paths) {
            Path target = to.resolve(from.relativize(source).toString());
            if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(target);
            } else if (which.test(source)) {
                if (Files.isSymbolicLink(source)) {
                    Files.createSymbolicLink(target, Files.readSymbolicLink(source));
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    private static CommandResult require(CommandResult result, String what) {
        if (!result.succeeded()) {
            throw new IllegalStateException("systemctl " + what + " failed: " + result);
        }
        return result;
    }

    private static void add(Count count, String variant, double millis) {
        count.millis().computeIfAbsent(variant, k -> new ArrayList<>()).add(millis);
    }

    private static double lastOf(Count count, String variant) {
        List<Double> values = count.millis().get(variant);
        return values.get(values.size() - 1);
    }
}
