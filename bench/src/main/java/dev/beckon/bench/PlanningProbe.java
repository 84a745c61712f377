package dev.beckon.bench;

import dev.beckon.activation.ActivationModules;
import dev.beckon.models.ModelFiles;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestResolver;
import dev.beckon.planner.plan.Plan;
import dev.beckon.planner.plan.Planner;
import dev.beckon.planner.state.StateDirectories;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One planning measurement in a JVM of its own, started by {@link PlanningBenchmark} the way
 * {@code bin/beckon} starts: loads a model from its files, resolves it, plans the first deployment
 * and then the no-op plan against itself. Prints one line per step as soon as it ends (so that a
 * probe stopped at its time limit still tells what it finished), the JVM's uptime when the first plan
 * was made, memory, and with {@code --profile} where each step spent its time.
 *
 * <p>Usage: {@code PlanningProbe MODEL_DIR [--profile]}
 */
public final class PlanningProbe {
    private static final long SAMPLE_MILLIS = 5;

    private PlanningProbe() {}

    public static void main(String[] args) throws Exception {
        Path directory = Path.of(args[0]);
        Sampler sampler = args.length > 1 && args[1].equals("--profile") ? new Sampler(Thread.currentThread()) : null;
        Steps steps = new Steps(sampler);

        steps.begin("load");
        SystemModel model = ModelLoader.load(ModelFiles.in(directory));
        steps.begin("resolve");
        Map<String, String> environment = System.getenv();
        Manifest desired = new ManifestResolver(ActivationModules::forType, target -> StateDirectories.of(target, environment))
                .resolve(model, "default");
        steps.begin("plan");
        Plan first = Planner.plan(desired, Manifest.empty("default"), Map.of());
        steps.end();
        System.out.println("uptime millis=" + ManagementFactory.getRuntimeMXBean().getUptime());
        // The steady state of a real profile: the model unchanged since the last deployment.
        steps.begin("replan");
        Plan again = Planner.plan(desired, desired, Map.of());
        steps.end();
        if (first.changes().size() != model.instances().size() || !again.isEmpty()) {
            throw new IllegalStateException("unexpected plans: " + first.changes().size() + " changes for "
                    + model.instances().size() + " instances, " + again.changes().size() + " on a no-op");
        }
        if (sampler != null) {
            sampler.print();
        }

        System.gc();
        System.gc();
        long retained = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf(Locale.ROOT, "memory retained=%d peak=%d hwm=%d%n", retained, peak, peakResidentBytes());
        // Keeps what the retained heap is about alive until it was measured.
        java.lang.ref.Reference.reachabilityFence(new Object[] {model, desired, first, again});
    }

    /** Times the steps, with the collector's share of each. */
    private static final class Steps {
        private final Sampler sampler;
        private String step;
        private long began;
        private long gcBefore;

        Steps(Sampler sampler) {
            this.sampler = sampler;
        }

        void begin(String next) {
            end();
            step = next;
            gcBefore = gcMillis();
            if (sampler != null) {
                sampler.step = next;
            }
            began = System.nanoTime();
        }

        void end() {
            if (step == null) {
                return;
            }
            long now = System.nanoTime();
            if (sampler != null) {
                sampler.step = null;
            }
            System.out.printf(Locale.ROOT, "step %s millis=%.3f gc=%d%n", step, (now - began) / 1e6, gcMillis() - gcBefore);
            System.out.flush();
            step = null;
        }

        private static long gcMillis() {
            long total = 0;
            for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
                total += Math.max(0, collector.getCollectionTime());
            }
            return total;
        }
    }

    /**
     * A wall-clock sampler of the main thread: every few milliseconds, its stack, counted for the
     * current step and for the innermost beckon method on it (the beckon code that spent the time,
     * itself or in the JDK code it called). Unlike a CPU profiler's samples it also sees time spent
     * loading classes and opening jars; time stopped for the collector it does not see, which the step
     * lines report instead.
     */
    private static final class Sampler extends Thread {
        private final Thread main;
        private final Map<String, Integer> counts = new ConcurrentHashMap<>();
        volatile String step;

        Sampler(Thread main) {
            super("planning sampler");
            this.main = main;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            while (main.isAlive()) {
                String current = step;
                if (current != null) {
                    StackTraceElement[] stack = main.getStackTrace();
                    if (current.equals(step)) {
                        counts.merge(current + " " + innermostBeckonMethod(stack), 1, Integer::sum);
                    }
                }
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static String innermostBeckonMethod(StackTraceElement[] stack) {
            for (StackTraceElement frame : stack) {
                String type = frame.getClassName();
                if (type.startsWith("dev.beckon.") && !type.startsWith("dev.beckon.bench.")) {
                    String simple = type.substring(type.lastIndexOf('.') + 1);
                    String method = frame.getMethodName();
                    // A lambda's body is charged to the method that wrote it.
                    if (method.startsWith("lambda$")) {
                        method = method.substring(7, method.indexOf('$', 7)) + " (lambda)";
                    }
                    return simple + "." + method;
                }
            }
            return "(JDK or JVM)";
        }

        void print() {
            Map<String, Integer> snapshot = new HashMap<>(counts);
            snapshot.forEach((key, count) -> System.out.println("sample " + key + " count=" + count));
        }
    }

    /** The process's peak resident set ({@code VmHWM}), which heap figures alone do not show. */
    private static long peakResidentBytes() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
