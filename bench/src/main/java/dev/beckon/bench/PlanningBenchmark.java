package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * Planning at scale: synthetic models of growing size, each loaded from its files, resolved and
 * planned in a fresh JVM started as {@code bin/beckon} starts it, since that is what a user waits
 * for: its options, and a class-data archive of the classes it loads, as bin/beckon maps its start
 * archive (made here by a training run of the probe on the smallest model, {@code -XX:ArchiveClassesAtExit});
 * each size once more without it; then one more run of the aim's size with the probe's sampler on, to
 * say where the time goes.
 */
final class PlanningBenchmark {
    /** The JVM options of {@code bin/beckon}. */
    static final List<String> BECKON_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    /** Repeating a size stops once it has taken this long: the large ones say enough once. */
    private static final Duration REPEAT_BUDGET = Duration.ofSeconds(20);

    /**
     * One size's figures, medians over its runs, in milliseconds. A step missing from {@code millis}
     * did not end: the run was stopped at the time limit first.
     *
     * @param gc            of each step's time, how much the collector stopped the JVM
     * @param uptimeAtPlan  the JVM's uptime when the first plan was made: JVM start included
     * @param uptimeAtPlanWithoutArchive the same, in one run without the class-data archive
     * @param retainedBytes heap still used after a full collection, with the model, manifest and plans alive
     * @param peakHeapBytes the sum of the heap pools' peaks
     * @param peakRssBytes  the process's peak resident set
     */
    record Size(int instances, int services, int targets, int runs, Map<String, Double> millis, Map<String, Double> gc,
            OptionalDouble uptimeAtPlan, OptionalDouble uptimeAtPlanWithoutArchive, OptionalDouble retainedBytes,
            OptionalDouble peakHeapBytes, OptionalDouble peakRssBytes, double limitMillis, double stoppedAfterMillis) {

        OptionalDouble load() {
            return step("load");
        }

        OptionalDouble resolve() {
            return step("resolve");
        }

        OptionalDouble plan() {
            return step("plan");
        }

        OptionalDouble replan() {
            return step("replan");
        }

        OptionalDouble step(String name) {
            return millis.containsKey(name) ? OptionalDouble.of(millis.get(name)) : OptionalDouble.empty();
        }

        OptionalDouble gc(String name) {
            return gc.containsKey(name) ? OptionalDouble.of(gc.get(name)) : OptionalDouble.empty();
        }

        /** Load, resolve and the first deployment's plan: what {@code beckon plan} does on a new profile. */
        OptionalDouble firstPlan() {
            return sum(load(), resolve(), plan());
        }

        /** Load, resolve and the plan against an unchanged last deployment: the everyday {@code beckon plan}. */
        OptionalDouble noOpPlan() {
            return sum(load(), resolve(), replan());
        }

        boolean stopped() {
            return stoppedAfterMillis > 0;
        }

        private static OptionalDouble sum(OptionalDouble... parts) {
            double total = 0;
            for (OptionalDouble part : parts) {
                if (part.isEmpty()) {
                    return OptionalDouble.empty();
                }
                total += part.getAsDouble();
            }
            return OptionalDouble.of(total);
        }
    }

    /** The beckon method where profile samples of one step landed, and its share of that step's samples. */
    record Hotspot(String step, String method, int samples, int stepSamples) {}

    /** @param archived whether the probe runs had a class-data archive (its training run may fail; the page says so) */
    record Result(List<Size> sizes, int profiledInstances, List<Hotspot> hotspots, String loadAverage, boolean archived) {}

    private final Path work;
    private final List<Integer> sizes;
    private final int targets;
    private final int repeats;
    private final Duration limit;
    private final int profiledSize;
    /** The probe's class-data archive, once its training run made one. */
    private Path archive;

    PlanningBenchmark(Path work, List<Integer> sizes, int targets, int repeats, Duration limit, int profiledSize) {
        this.work = work;
        this.sizes = sizes;
        this.targets = targets;
        this.repeats = repeats;
        this.limit = limit;
        this.profiledSize = profiledSize;
    }

    Result run() throws IOException {
        String load = Machine.loadAverage();
        List<Size> results = new ArrayList<>();
        Map<Integer, Path> models = new HashMap<>();
        for (int instances : sizes) {
            int services = Math.max(1, Math.round((float) instances / targets));
            Path model = work.resolve("model-" + instances);
            SyntheticModel.write(model, services, targets);
            models.put(instances, model);
            if (results.isEmpty()) {
                train(model);
            }
            results.add(measure(model, services * targets, services));
        }
        List<Hotspot> hotspots = List.of();
        if (models.containsKey(profiledSize)) {
            hotspots = profile(models.get(profiledSize));
        }
        return new Result(results, profiledSize, hotspots, load, archive != null);
    }

    /**
     * The class-data archive of the probe's classes, from one run on {@code model}; none when the JVM writes none (its
     * warnings about classes it leaves out are no failure).
     */
    private void train(Path model) throws IOException {
        Path made = work.resolve("probe.jsa");
        List<String> command = probeCommand(model, false, false);
        command.add(1, "-XX:ArchiveClassesAtExit=" + made);
        Command.Result training = Command.run(command, Map.of(), limit);
        if (training.timedOut() || training.exitCode() != 0 || !java.nio.file.Files.isRegularFile(made)) {
            System.out.println("  no class-data archive for the probe (its training run: " + training.lines().stream()
                    .map(Command.Line::text).filter(text -> text.contains("rror")).findFirst().orElse("exit " + training.exitCode())
                    + "); planning runs without one");
            return;
        }
        archive = made;
    }

    private Size measure(Path model, int instances, int services) throws IOException {
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        Map<String, List<Double>> gc = new LinkedHashMap<>();
        List<Double> uptimes = new ArrayList<>();
        Map<String, Double> memory = new HashMap<>();
        double stoppedAfter = 0;
        long began = System.nanoTime();
        int runs = 0;
        while (runs < repeats && (runs == 0 || System.nanoTime() - began < REPEAT_BUDGET.toNanos())) {
            Command.Result probe = Command.run(probeCommand(model, false, true), Map.of(), limit);
            runs++;
            for (Command.Line line : probe.lines()) {
                Map<String, String> words = words(line.text());
                switch (line.text().split(" ")[0]) {
                    case "step" -> {
                        String step = line.text().split(" ")[1];
                        steps.computeIfAbsent(step, k -> new ArrayList<>()).add(Double.parseDouble(words.get("millis")));
                        gc.computeIfAbsent(step, k -> new ArrayList<>()).add(Double.parseDouble(words.get("gc")));
                    }
                    case "uptime" -> uptimes.add(Double.parseDouble(words.get("millis")));
                    case "memory" -> words.forEach((key, value) -> memory.put(key, Double.parseDouble(value)));
                    default -> { }
                }
            }
            if (probe.timedOut()) {
                stoppedAfter = probe.millis();
                System.out.printf(Locale.ROOT, "  %,d instances: stopped at the %d s limit after %s%n", instances, limit.toSeconds(),
                        steps.keySet());
                break;
            }
            probe.requireSuccess();
            System.out.printf(Locale.ROOT, "  %,d instances, run %d: load %.0f ms, resolve %.0f ms, plan %.0f ms, no-op plan %.0f ms%n",
                    instances, runs, last(steps, "load"), last(steps, "resolve"), last(steps, "plan"), last(steps, "replan"));
        }
        OptionalDouble withoutArchive = OptionalDouble.empty();
        if (archive != null && stoppedAfter == 0) {
            Command.Result plain = Command.run(probeCommand(model, false, false), Map.of(), limit);
            if (!plain.timedOut()) {
                plain.requireSuccess();
                for (Command.Line line : plain.lines()) {
                    if (line.text().startsWith("uptime ")) {
                        withoutArchive = OptionalDouble.of(Double.parseDouble(words(line.text()).get("millis")));
                    }
                }
            }
        }
        return new Size(instances, services, targets, runs, medians(steps, runs, stoppedAfter > 0), medians(gc, runs, stoppedAfter > 0),
                uptimes.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(Stats.of(uptimes).median()), withoutArchive,
                value(memory, "retained"), value(memory, "peak"), value(memory, "hwm"), limit.toMillis(), stoppedAfter);
    }

    /**
     * Each step's median over the runs; a step that the last, stopped, run did not finish counts as not
     * finished, lest the runs that did (earlier, luckier ones) hide the stop.
     */
    private static Map<String, Double> medians(Map<String, List<Double>> steps, int runs, boolean lastStopped) {
        Map<String, Double> medians = new LinkedHashMap<>();
        steps.forEach((step, values) -> {
            if (!lastStopped || values.size() == runs) {
                medians.put(step, Stats.of(values).median());
            }
        });
        return medians;
    }

    /** The {@code key=value} words of a probe's line. */
    private static Map<String, String> words(String line) {
        Map<String, String> words = new HashMap<>();
        for (String word : line.split(" ")) {
            int equals = word.indexOf('=');
            if (equals > 0) {
                words.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        return words;
    }

    private List<String> probeCommand(Path model, boolean profile, boolean withArchive) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(BECKON_JVM_OPTIONS);
        if (withArchive && archive != null) {
            command.add("-XX:SharedArchiveFile=" + archive);
        }
        command.addAll(List.of("-cp", archivableClassPath(), PlanningProbe.class.getName(), model.toString()));
        if (profile) {
            command.add("--profile");
        }
        return command;
    }

    /** Runs the probe once more with its sampler, and keeps each step's three busiest beckon methods. */
    private List<Hotspot> profile(Path model) throws IOException {
        Command.Result probe = Command.run(probeCommand(model, true, true), Map.of(), limit);
        if (probe.timedOut()) {
            return List.of();
        }
        probe.requireSuccess();
        Map<String, Map<String, Integer>> byStep = new LinkedHashMap<>();
        for (Command.Line line : probe.lines()) {
            String text = line.text();
            if (text.startsWith("sample ")) {
                int countAt = text.lastIndexOf(" count=");
                String[] stepAndMethod = text.substring(7, countAt).split(" ", 2);
                byStep.computeIfAbsent(stepAndMethod[0], k -> new HashMap<>()).put(stepAndMethod[1],
                        Integer.parseInt(text.substring(countAt + 7)));
            }
        }
        List<Hotspot> hotspots = new ArrayList<>();
        for (String step : List.of("load", "resolve", "plan", "replan")) {
            Map<String, Integer> methods = byStep.getOrDefault(step, Map.of());
            int total = methods.values().stream().mapToInt(Integer::intValue).sum();
            methods.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(3)
                    .forEach(e -> hotspots.add(new Hotspot(step, e.getKey(), e.getValue(), total)));
        }
        System.out.println("  profile of " + model.getFileName() + ": " + hotspots.stream()
                .map(h -> h.step() + " " + h.method() + " " + h.samples() + "/" + h.stepSamples()).collect(Collectors.joining(", ")));
        return hotspots;
    }

    /**
     * The benchmarks' class path with each module's classes directory replaced by the jar Maven packaged from it: a JVM
     * archives classes of jars only (and refuses to make an archive at all with a directory on the path).
     */
    private static String archivableClassPath() {
        List<String> entries = new ArrayList<>();
        for (String entry : BenchmarkRun.classPath().split(java.io.File.pathSeparator)) {
            Path path = Path.of(entry);
            if (java.nio.file.Files.isDirectory(path) && path.endsWith(Path.of("target", "classes"))) {
                try (var jars = java.nio.file.Files.list(path.getParent())) {
                    List<Path> packaged = jars.filter(jar -> jar.getFileName().toString().startsWith("beckon-")
                            && jar.getFileName().toString().endsWith(".jar") && !jar.getFileName().toString().endsWith("-tests.jar"))
                            .toList();
                    if (packaged.size() == 1) {
                        entries.add(packaged.get(0).toString());
                        continue;
                    }
                } catch (IOException e) {
                    // Kept as the directory: the training run then makes no archive, and the page says so.
                }
            }
            entries.add(entry);
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static double last(Map<String, List<Double>> steps, String step) {
        List<Double> values = steps.getOrDefault(step, List.of());
        return values.isEmpty() ? Double.NaN : values.get(values.size() - 1);
    }

    private static OptionalDouble value(Map<String, Double> memory, String key) {
        return memory.containsKey(key) ? OptionalDouble.of(memory.get(key)) : OptionalDouble.empty();
    }
}
