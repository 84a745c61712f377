package dev.beckon.bench;

import static dev.beckon.bench.BenchmarkReport.bytes;
import static dev.beckon.bench.BenchmarkReport.ms;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** The benchmark page's section on deploying to many SSH targets against one. */
final class ScaleSection {
    private ScaleSection() {}

    /** The medians of one side's phases, in ms; per target, the medians over targets and rounds. */
    private record Phases(double total, double plan, double toFirstStep, double activating, double confirming, double exiting,
            double perTargetConnect, double perTargetAgent, double perTargetActivations, int overlapping) {}

    static void write(StringBuilder page, ScaleBenchmark.Result result, List<BenchmarkReport.Aim> aims) {
        int t = result.targets();
        int s = result.servicesPerTarget();
        double ratio = Stats.of(result.ratios()).median();
        Stats many = Stats.of(result.many().stream().map(ScaleBenchmark.Deploy::millis).toList());
        Stats one = Stats.of(result.one().stream().map(ScaleBenchmark.Deploy::millis).toList());
        Phases manyPhases = phases(result.many(), t);
        Phases onePhases = phases(result.one(), 1);
        page.append("## 7. Many SSH targets\n\n")
                .append(String.format(Locale.ROOT, "`bin/beckon deploy` of %d on-demand services to each of %d SSH targets (%d instances), "
                        + "against the same %d services to one of those targets, `--parallel %d`, in %d pairs whose order alternates. "
                        + "Each target is the test harness's machine (`SshHost`): an sshd on its own loopback address (127.0.0.2-%d) inside "
                        + "the mount namespace of its own sandbox systemd user manager, reached through one `ssh -F` configuration with a "
                        + "key and a known host key per machine. Each has a manager of its own rather than one shared, so that each "
                        + "target's `daemon-reload` re-reads only its own %d units, as on machines of their own. They are light otherwise: "
                        + "on-demand services that no client starts (an activation is a listening socket), no class-data archive, one "
                        + "small package. Every target, its agent JVM and its sshd share this machine's cores with the coordinator. The "
                        + "targets' stores are kept between deployments: beckon's runtime and the package were copied by the first "
                        + "deployments only, timed apart. Each measured deployment starts from a profile that runs nothing and is "
                        + "removed again (an empty distribution) before the next. The coordinator (bin/beckon's JVM) is sampled from "
                        + "`/proc` every %d ms: its resident high-water mark (`VmHWM`), threads and open files, the ssh processes that "
                        + "name one of the targets, the TCP connections to their sshds, and per target when its master connection and "
                        + "its agent (`TargetAgent` in that machine's mount namespace) first showed; a process shorter than one "
                        + "interval can be missed, so those counts are lower bounds.%n%n", s, t, s * t, s, result.parallel(),
                        result.many().size(), t + 1, s, CoordinatorSampler.SAMPLE_MILLIS))
                .append("| deployment | median | min–max | rounds |\n| --- | ---: | ---: | ---: |\n")
                .append(row(String.format(Locale.ROOT, "%d targets x %d services", t, s), many))
                .append(row(String.format(Locale.ROOT, "1 target x %d services", s), one))
                .append(String.format(Locale.ROOT, "| **%d targets against 1** (median of the rounds' ratios: %s) | **%.2fx** | | |%n", t,
                        result.ratios().stream().map(r -> String.format(Locale.ROOT, "%.2fx", r)).collect(Collectors.joining(", ")), ratio))
                .append(String.format(Locale.ROOT, "| first deployment, 1 target (runtime and package copied) | %s | | 1 |%n",
                        ms(result.firstOne().millis())))
                .append(String.format(Locale.ROOT, "| first deployment, %d targets (%d of them copy the runtime and package) | %s | | 1 |%n",
                        t, t - 1, ms(result.firstMany().millis())))
                .append(row(String.format(Locale.ROOT, "removal, %d targets", t), Stats.of(result.removeMany())))
                .append(row("removal, 1 target", Stats.of(result.removeOne())))
                .append(String.format(Locale.ROOT, "| one SSH master connection opened on its own (`ssh -o ControlMaster=yes -N -f`), median of 5 "
                        + "| %s | | |%n%n", ms(result.connectMillis())));

        page.append("The coordinator, the highest of the measured rounds:\n\n")
                .append(String.format(Locale.ROOT, "| | 1 target | %d targets |%n| --- | ---: | ---: |%n", t))
                .append(usage("peak resident set (`VmHWM`)", result, u -> u.peakResidentBytes(), true))
                .append(usage("peak threads", result, u -> u.peakThreads(), false))
                .append(usage("peak open file descriptors", result, u -> u.peakOpenFiles(), false))
                .append(usage("SSH master connections (ControlMaster)", result, u -> u.masters(), false))
                .append(usage("other ssh processes seen (sessions over the masters, copies, new-connection confirmations, closing)", result,
                        u -> u.otherSshProcesses(), false))
                .append(usage("TCP connections to the targets' sshd, in all", result, u -> u.tcpConnections(), false))
                .append(usage("TCP connections to the targets' sshd, at once", result, u -> u.peakTcpConnections(), false))
                .append(usage("agent JVMs started on the targets", result, u -> u.agents(), false))
                .append('\n');

        page.append("Where the time goes, medians over the measured rounds (the phases are read from when beckon's progress lines and the "
                        + "sampled processes showed):\n\n")
                .append(String.format(Locale.ROOT, "| phase | 1 target | %d targets |%n| --- | ---: | ---: |%n", t))
                .append(phaseRow("until the plan is printed: JVM start, model, and each target connected and asked what runs", onePhases.plan(),
                        manyPhases.plan()))
                .append(phaseRow("&nbsp;&nbsp;per target: its master connection to its agent started (the runtime checked in its store)",
                        onePhases.perTargetConnect(), manyPhases.perTargetConnect()))
                // Once the targets are connected several at once, the next one's connection no longer waits for an agent.
                .append(manyPhases.overlapping() > 0 ? "" : phaseRow("&nbsp;&nbsp;per target: its agent started to the next target's "
                        + "connection (agent JVM start, greeting, query)", onePhases.perTargetAgent(), manyPhases.perTargetAgent()))
                .append(phaseRow("plan printed to the first step on a target (profile lock, journal)", onePhases.toFirstStep(),
                        manyPhases.toFirstStep()))
                .append(phaseRow(String.format(Locale.ROOT, "locks, copies and activations across the targets (`--parallel %d`)",
                        result.parallel()), onePhases.activating(), manyPhases.activating()))
                .append(phaseRow(String.format(Locale.ROOT, "&nbsp;&nbsp;per target: its first step to its last of %d activations", s),
                        onePhases.perTargetActivations(), manyPhases.perTargetActivations()))
                .append(phaseRow("last activation to `Deployed generation` (each target confirmed through a new SSH connection, the "
                        + "generation recorded)", onePhases.confirming(), manyPhases.confirming()))
                .append(phaseRow("`Deployed generation` to exit (agents stopped, master connections closed)", onePhases.exiting(),
                        manyPhases.exiting()))
                .append(phaseRow("in all", onePhases.total(), manyPhases.total()))
                .append('\n');
        String serial = Double.isNaN(manyPhases.perTargetConnect()) ? "The targets' agents were not seen by the sampler: the phases per "
                + "target are unknown."
                : manyPhases.overlapping() == 0
                ? String.format(Locale.ROOT, "In every round each target's master connection showed only after the previous target's "
                        + "agent had started: the targets are connected and asked one after another before the plan (`Inspector.live` "
                        + "opens each target's session in turn), so that phase grows by about %s per target whatever `--parallel` says.",
                        ms(manyPhases.perTargetConnect() + manyPhases.perTargetAgent()))
                : String.format(Locale.ROOT, "In %d cases a target's master connection showed before the previous target's agent had "
                        + "started: the targets are connected and asked several at once before the plan (`Inspector`, as many as "
                        + "`--parallel %d`).", manyPhases.overlapping(), result.parallel());
        page.append(serial).append("\n\n");

        double planShare = manyPhases.plan() - onePhases.plan();
        aims.add(new BenchmarkReport.Aim(String.format(Locale.ROOT, "deploy of %d services to each of %d SSH targets, against the same %d "
                        + "services to one", s, t, s), "at most 2x", String.format(Locale.ROOT, "%.2fx (%s against %s; pairs alternating)", ratio, ms(many.median()), ms(one.median())), BenchmarkReport.Status.of(ratio <= 2.0),
                String.format(Locale.ROOT, "of the %s more, %s is before the plan: %s; the activations "
                                + "across the targets take %s against %s, the confirmations and record %s against %s, the exit %s against "
                                + "%s; every target's agent JVM and sshd run on the same %d cores as the coordinator",
                        ms(many.median() - one.median()), ms(planShare), manyPhases.overlapping() > 0
                                ? String.format(Locale.ROOT, "the targets connected %d at a time, each %s from its master connection to "
                                        + "its agent", result.parallel(), known(manyPhases.perTargetConnect()))
                                : String.format(Locale.ROOT, "the targets connected one after another, each %s from its master connection "
                                        + "to its agent and %s for its agent's start and answer", known(manyPhases.perTargetConnect()),
                                        known(manyPhases.perTargetAgent())),
                        ms(manyPhases.activating()), ms(onePhases.activating()), ms(manyPhases.confirming()), ms(onePhases.confirming()),
                        ms(manyPhases.exiting()), ms(onePhases.exiting()), Runtime.getRuntime().availableProcessors())));
        if (result.few() != null) {
            ScaleBenchmark.Few few = result.few();
            double speedUp = Stats.of(few.speedUps()).median();
            page.append(String.format(Locale.ROOT, "The same machines, %d instances on %d of them (%d services each), deployed from an empty "
                    + "profile with `--parallel 1` and with `--parallel %d`, %d pairs whose order alternates: medians %s and %s.%n%n",
                    ScaleBenchmark.FEW_INSTANCES, ScaleBenchmark.FEW_TARGETS, ScaleBenchmark.FEW_INSTANCES / ScaleBenchmark.FEW_TARGETS,
                    ScaleBenchmark.FEW_PARALLEL, few.speedUps().size(), ms(median(few.one(), ScaleBenchmark.Deploy::millis)),
                    ms(median(few.four(), ScaleBenchmark.Deploy::millis))))
                    .append("| phase (medians) | `--parallel 1` | cores busy | `--parallel " + ScaleBenchmark.FEW_PARALLEL
                            + "` | cores busy |\n| --- | ---: | ---: | ---: | ---: |\n")
                    .append(fewRow("JVM start, load, resolve, ask the targets (each connected, its agent started), plan printed",
                            few, d -> 0, ScaleBenchmark.Deploy::planPrinted))
                    .append(fewRow("plan printed to the first target's first step", few, ScaleBenchmark.Deploy::planPrinted,
                            ScaleBenchmark.Deploy::firstStep))
                    .append(fewRow("first step to the last activation on any target (locks, copies, units, activations)", few,
                            ScaleBenchmark.Deploy::firstStep, ScaleBenchmark.Deploy::lastActivated))
                    .append(fewRow("last activation to the record (each target confirmed through a new connection)", few,
                            ScaleBenchmark.Deploy::lastActivated, ScaleBenchmark.Deploy::deployed))
                    .append(fewRow("record to exit", few, ScaleBenchmark.Deploy::deployed, ScaleBenchmark.Deploy::millis))
                    .append(fewRow("**total**", few, d -> 0, ScaleBenchmark.Deploy::millis)).append('\n')
                    .append("The cores' busy share is the whole machine's (`/proc/stat`, sampled every 50 ms): the coordinator, "
                            + "the targets' agents, sshds and systemd managers, and the sampler.\n\n");
            aims.add(new BenchmarkReport.Aim(String.format(Locale.ROOT, "%d services on %d SSH targets, `--parallel %d` against `--parallel 1`",
                    ScaleBenchmark.FEW_INSTANCES, ScaleBenchmark.FEW_TARGETS, ScaleBenchmark.FEW_PARALLEL), "at least 2x faster",
                    String.format(Locale.ROOT, "%.2fx (pairs: %s; medians %s and %s)", speedUp, few.speedUps().stream()
                            .map(r -> String.format(Locale.ROOT, "%.2fx", r)).collect(java.util.stream.Collectors.joining(", ")),
                            ms(median(few.one(), ScaleBenchmark.Deploy::millis)), ms(median(few.four(), ScaleBenchmark.Deploy::millis))),
                    BenchmarkReport.Status.of(speedUp >= 2.0),
                    fewReason(few)));
        }
        List<CoordinatorSampler.Usage> manyUsage = result.many().stream().map(ScaleBenchmark.Deploy::usage).toList();
        aims.add(new BenchmarkReport.Aim(String.format(Locale.ROOT, "the coordinator deploying to %d SSH targets: memory and connections", t),
                "no aim (measured)", String.format(Locale.ROOT, "peak RSS %s (1 target: %s), %d threads, %d SSH master connections, %d TCP "
                                + "connections in all", bytes(max(manyUsage, u -> u.peakResidentBytes())),
                        bytes(max(result.one().stream().map(ScaleBenchmark.Deploy::usage).toList(), u -> u.peakResidentBytes())),
                        (int) max(manyUsage, u -> u.peakThreads()), (int) max(manyUsage, u -> u.masters()),
                        (int) max(manyUsage, u -> u.tcpConnections())), BenchmarkReport.Status.NO_AIM,
                "one master connection and one agent session per target, kept for the whole command; a confirmation through a new "
                        + "connection per changed target"));
    }

    /** Why the few-targets comparison came out as it did: which phases shrink, and how busy the cores were in them. */
    private static String fewReason(ScaleBenchmark.Few few) {
        ToDoubleFunction<ScaleBenchmark.Deploy> beforePlan = d -> d.usage().busyBetween(0, d.planPrinted());
        ToDoubleFunction<ScaleBenchmark.Deploy> onTargets = d -> d.usage().busyBetween(d.firstStep(), d.deployed());
        // Amdahl's bound for this machine, from each --parallel 1 run: what one process does alone (the start until the first
        // master connection, the plan to the first step, the record to the exit) stays; the rest, the targets' work, takes at
        // least its share of the targets and at least the processor time it used, which running side by side does not shrink.
        List<Double> serialParts = new ArrayList<>();
        List<Double> bestRests = new ArrayList<>();
        List<Double> ceilings = new ArrayList<>();
        for (ScaleBenchmark.Deploy run : few.one()) {
            Double firstMaster = run.usage().masterAt().values().stream().min(Double::compare).orElse(null);
            double connected = run.usage().busyBetween(firstMaster == null ? 0 : firstMaster, run.planPrinted());
            double working = run.usage().busyBetween(run.firstStep(), run.deployed());
            if (firstMaster == null || Double.isNaN(connected) || Double.isNaN(working)) {
                continue;
            }
            double serial = firstMaster + (run.firstStep() - run.planPrinted()) + (run.millis() - run.deployed());
            double rest = run.millis() - serial;
            double processorBound = connected * (run.planPrinted() - firstMaster) + working * (run.deployed() - run.firstStep());
            double bestRest = Math.max(rest / ScaleBenchmark.FEW_TARGETS, processorBound);
            serialParts.add(serial);
            bestRests.add(bestRest);
            ceilings.add(run.millis() / (serial + bestRest));
        }
        String bound = ceilings.isEmpty() ? "" : String.format(Locale.ROOT, " Amdahl's bound on this machine, from the `--parallel 1` "
                        + "runs: what one process does alone (the start to the first master connection, the plan to the first step, "
                        + "the record to the exit: %s) stays, and the targets' work (the rest) takes at least a third of its time and "
                        + "at least the processor time it used there spread over the %d cores (%s), so `--parallel` can make the "
                        + "deployment at most %.2fx faster here (medians)%s.", ms(Stats.of(serialParts).median()),
                Runtime.getRuntime().availableProcessors(), ms(Stats.of(bestRests).median()), Stats.of(ceilings).median(),
                Stats.of(ceilings).median() < 2 ? ": 2x cannot be met on this machine, whose cores the three targets share" : "");
        return String.format(Locale.ROOT, "at most %d targets work at once, so %dx is the ceiling; the phases above show which "
                        + "part shrinks with `--parallel`: asking the targets before the plan (%s against %s), the work on them (%s "
                        + "against %s) and the confirmations (%s against %s), while the start, the loading and resolving of the "
                        + "model and the record stay one process's. The three targets' agent JVMs, sshds and systemd managers and "
                        + "the coordinator share %d cores: with `--parallel %d` they were %s busy until the plan (%s with "
                        + "`--parallel 1`) and %s from the first step to the record (%s).",
                ScaleBenchmark.FEW_TARGETS, ScaleBenchmark.FEW_TARGETS, ms(median(few.one(), ScaleBenchmark.Deploy::planPrinted)),
                ms(median(few.four(), ScaleBenchmark.Deploy::planPrinted)), ms(median(few.one(), d -> d.lastActivated() - d.firstStep())),
                ms(median(few.four(), d -> d.lastActivated() - d.firstStep())), ms(median(few.one(), d -> d.deployed() - d.lastActivated())),
                ms(median(few.four(), d -> d.deployed() - d.lastActivated())), Runtime.getRuntime().availableProcessors(),
                ScaleBenchmark.FEW_PARALLEL, percent(few.four(), beforePlan), percent(few.one(), beforePlan), percent(few.four(), onTargets),
                percent(few.one(), onTargets)) + bound;
    }

    /** A phase from {@code start} to {@code end} (ms after the command's start): its length and the cores' busy share, medians. */
    private static String fewRow(String phase, ScaleBenchmark.Few few, ToDoubleFunction<ScaleBenchmark.Deploy> start,
            ToDoubleFunction<ScaleBenchmark.Deploy> end) {
        ToDoubleFunction<ScaleBenchmark.Deploy> length = d -> end.applyAsDouble(d) - start.applyAsDouble(d);
        ToDoubleFunction<ScaleBenchmark.Deploy> busy = d -> d.usage().busyBetween(start.applyAsDouble(d), end.applyAsDouble(d));
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", phase, ms(median(few.one(), length)), percent(few.one(), busy),
                ms(median(few.four(), length)), percent(few.four(), busy));
    }

    private static String percent(List<ScaleBenchmark.Deploy> runs, ToDoubleFunction<ScaleBenchmark.Deploy> share) {
        List<Double> known = runs.stream().mapToDouble(share).filter(value -> !Double.isNaN(value)).boxed().toList();
        return known.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * Stats.of(known).median());
    }

    private static Phases phases(List<ScaleBenchmark.Deploy> runs, int targets) {
        List<Double> connect = new ArrayList<>();
        List<Double> agent = new ArrayList<>();
        List<Double> activations = new ArrayList<>();
        int overlapping = 0;
        for (ScaleBenchmark.Deploy run : runs) {
            for (int i = 0; i < targets; i++) {
                String target = ScaleBenchmark.target(i);
                Double masterAt = run.usage().masterAt().get(target);
                Double agentAt = run.usage().agentAt().get(target);
                if (masterAt != null && agentAt != null) {
                    connect.add(agentAt - masterAt);
                    Double next = i + 1 < targets ? run.usage().masterAt().get(ScaleBenchmark.target(i + 1)) : Double.valueOf(run.planPrinted());
                    if (next != null) {
                        agent.add(next - agentAt);
                        if (next < agentAt) {
                            overlapping++;
                        }
                    }
                }
                activations.add(run.lastActivatedOf().get(target) - run.firstStepOf().get(target));
            }
        }
        return new Phases(median(runs, ScaleBenchmark.Deploy::millis), median(runs, ScaleBenchmark.Deploy::planPrinted),
                median(runs, r -> r.firstStep() - r.planPrinted()), median(runs, r -> r.lastActivated() - r.firstStep()),
                median(runs, r -> r.deployed() - r.lastActivated()), median(runs, r -> r.millis() - r.deployed()),
                connect.isEmpty() ? Double.NaN : Stats.of(connect).median(), agent.isEmpty() ? Double.NaN : Stats.of(agent).median(),
                Stats.of(activations).median(), overlapping);
    }

    private static double median(List<ScaleBenchmark.Deploy> runs, ToDoubleFunction<ScaleBenchmark.Deploy> value) {
        return Stats.of(runs.stream().map(run -> value.applyAsDouble(run)).toList()).median();
    }

    private static long max(List<CoordinatorSampler.Usage> usages, java.util.function.ToLongFunction<CoordinatorSampler.Usage> value) {
        return usages.stream().mapToLong(value).max().orElse(-1);
    }

    private static String known(double millis) {
        return Double.isNaN(millis) ? "(not seen)" : ms(millis);
    }

    private static String row(String what, Stats stats) {
        return String.format(Locale.ROOT, "| %s | %s | %s–%s | %d |%n", what, ms(stats.median()), ms(stats.min()), ms(stats.max()), stats.count());
    }

    private static String phaseRow(String what, double one, double many) {
        return String.format(Locale.ROOT, "| %s | %s | %s |%n", what, Double.isNaN(one) ? "–" : ms(one), Double.isNaN(many) ? "–" : ms(many));
    }

    private static String usage(String what, ScaleBenchmark.Result result, java.util.function.ToLongFunction<CoordinatorSampler.Usage> value,
            boolean asBytes) {
        long one = max(result.one().stream().map(ScaleBenchmark.Deploy::usage).toList(), value);
        long many = max(result.many().stream().map(ScaleBenchmark.Deploy::usage).toList(), value);
        return String.format(Locale.ROOT, "| %s | %s | %s |%n", what, asBytes ? bytes(one) : String.valueOf(one),
                asBytes ? bytes(many) : String.valueOf(many));
    }
}
