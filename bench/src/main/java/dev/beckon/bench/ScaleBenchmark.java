package dev.beckon.bench;

import dev.beckon.sandbox.SshHost;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Deploying the same services to many SSH targets against one: {@code bin/beckon deploy} of S on-demand services to each
 * of T targets, against the same S services to one of them, in pairs whose order alternates. Each target is the test
 * harness's machine ({@link SshHost}: an sshd on its own 127.0.0.x inside the mount namespace of its own sandbox
 * systemd user manager), so that each target reloads only its own units, as a machine of its own would: one manager
 * shared by all would make every target's {@code daemon-reload} re-read every other target's units and charge the many
 * targets for a cost real machines do not share. They are made light otherwise: on-demand services that no client
 * starts (an activation is a socket), no class-data archive (no training start), one small package.
 *
 * <p>The targets' stores are kept from one deployment to the next, so beckon's runtime and the package are copied only
 * by the first deployments, which are timed apart; each measured deployment is to a profile that runs nothing, and is
 * removed again (an empty distribution) before the next.
 */
final class ScaleBenchmark {
    static final String PROFILE_MANY = "many";
    static final String PROFILE_ONE = "one";

    /** When the progress lines of one deployment arrived, in ms after its start, also per target; and what the coordinator used. */
    record Deploy(double millis, double planPrinted, double firstStep, double lastActivated, double deployed,
            Map<String, Double> firstStepOf, Map<String, Double> lastActivatedOf, Map<String, Double> confirmedOf,
            CoordinatorSampler.Usage usage) {
        /** Per target, when its master connection and agent showed, its first step, last activation and confirmation. */
        String timeline() {
            StringBuilder text = new StringBuilder();
            for (String target : firstStepOf.keySet()) {
                text.append(String.format(Locale.ROOT, "    %s: master %s, agent %s, first step %s, last activation %s, confirmed %s%n",
                        target, at(usage.masterAt().get(target)), at(usage.agentAt().get(target)), at(firstStepOf.get(target)),
                        at(lastActivatedOf.get(target)), at(confirmedOf.get(target))));
            }
            return text.append(String.format(Locale.ROOT, "    plan printed %s, deployed %s, exit %s", at(planPrinted), at(deployed),
                    at(millis))).toString();
        }

        private static String at(Double millis) {
            return millis == null ? "-" : String.format(Locale.ROOT, "%.2f s", millis / 1000);
        }
    }

    /** The instances of the few-targets comparison, spread over {@value #FEW_TARGETS} targets. */
    static final int FEW_INSTANCES = 51;
    static final int FEW_TARGETS = 3;
    /** The {@code --parallel} of the few-targets comparison, against 1. */
    static final int FEW_PARALLEL = 4;

    /**
     * {@value #FEW_INSTANCES} instances on {@value #FEW_TARGETS} of the targets, deployed with {@code --parallel 1} and
     * {@code --parallel 4} in pairs whose order alternates, each measured from an empty profile: times in ms.
     */
    record Few(List<Deploy> one, List<Deploy> four) {
        /** Each pair's one / four. */
        List<Double> speedUps() {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < Math.min(one.size(), four.size()); i++) {
                ratios.add(one.get(i).millis() / four.get(i).millis());
            }
            return ratios;
        }
    }

    /** The paired rounds, the first deployments (runtime copied), the removals, and the few-targets comparison. */
    record Result(int targets, int servicesPerTarget, int parallel, List<Deploy> many, List<Deploy> one, Deploy firstOne, Deploy firstMany,
            List<Double> removeMany, List<Double> removeOne, double connectMillis, String loadAverage, Few few) {
        /** Each round's many / one, both measured in that round. */
        List<Double> ratios() {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < Math.min(many.size(), one.size()); i++) {
                ratios.add(many.get(i).millis() / one.get(i).millis());
            }
            return ratios;
        }
    }

    private final Path work;
    private final Path helloServer;
    private final BeckonCli beckon;
    private final int targets;
    private final int servicesPerTarget;
    private final int rounds;
    private final int parallel;

    ScaleBenchmark(Path work, Path helloServer, BeckonCli beckon, int targets, int servicesPerTarget, int rounds, int parallel) {
        this.work = work;
        this.helloServer = helloServer;
        this.beckon = beckon;
        this.targets = targets;
        this.servicesPerTarget = servicesPerTarget;
        this.rounds = rounds;
        this.parallel = parallel;
    }

    Result run() throws Exception {
        String load = Machine.loadAverage();
        List<SystemdUserManager> machines = new ArrayList<>();
        List<SshHost> hosts = new ArrayList<>();
        try {
            List<CoordinatorSampler.Host> watched = new ArrayList<>();
            for (int i = 0; i < targets; i++) {
                SystemdUserManager machine = SystemdUserManager.start(work.resolve("machines/" + target(i)));
                machines.add(machine);
                SshHost host = SshHost.start(work.resolve("ssh/" + target(i)), "127.0.0." + (i + 2), machine);
                hosts.add(host);
                watched.add(new CoordinatorSampler.Host(target(i), host.address(), host.port(), CoordinatorSampler.mountNamespace(machine.pid())));
            }
            System.out.printf(Locale.ROOT, "  %d machines up: each a systemd user manager with an sshd on 127.0.0.2-%d%n", targets, targets + 1);
            Map<String, String> environment = Map.of("BECKON_SSH_COMMAND", "ssh -F " + SshHost.clientConfig(work.resolve("ssh_config"), hosts),
                    "BECKON_HOME", work.resolve("home").toString());
            List<Integer> ports = Sockets.freePorts(Math.max(servicesPerTarget, FEW_INSTANCES / FEW_TARGETS));
            Path many = writeModel(work.resolve("model-many"), machines, hosts, targets, ports, servicesPerTarget);
            Path one = writeModel(work.resolve("model-one"), machines, hosts, 1, ports, servicesPerTarget);
            double connect = connectMillis(hosts.get(0));

            Deploy firstOne = deploy(one, PROFILE_ONE, environment, watched, 1);
            remove(one, PROFILE_ONE, environment);
            Deploy firstMany = deploy(many, PROFILE_MANY, environment, watched, targets);
            remove(many, PROFILE_MANY, environment);
            System.out.printf(Locale.ROOT, "  first deployments (runtime and package copied): 1 target %s, %d targets %s%n",
                    BenchmarkReport.ms(firstOne.millis()), targets, BenchmarkReport.ms(firstMany.millis()));

            List<Deploy> manyRuns = new ArrayList<>();
            List<Deploy> oneRuns = new ArrayList<>();
            List<Double> removeMany = new ArrayList<>();
            List<Double> removeOne = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                // Who goes first alternates, so that what one leaves behind (page cache, a busy manager) falls on both alike.
                for (boolean manyNow : round % 2 == 0 ? List.of(true, false) : List.of(false, true)) {
                    if (manyNow) {
                        manyRuns.add(deploy(many, PROFILE_MANY, environment, watched, targets));
                        removeMany.add(remove(many, PROFILE_MANY, environment));
                    } else {
                        oneRuns.add(deploy(one, PROFILE_ONE, environment, watched, 1));
                        removeOne.add(remove(one, PROFILE_ONE, environment));
                    }
                }
                Deploy m = manyRuns.get(round);
                Deploy o = oneRuns.get(round);
                System.out.printf(Locale.ROOT, "  round %d: %d targets %s, 1 target %s (%.2fx); coordinator peak RSS %s, %d threads, "
                                + "%d ssh masters, %d TCP connections%n", round + 1, targets, BenchmarkReport.ms(m.millis()),
                        BenchmarkReport.ms(o.millis()), m.millis() / o.millis(), BenchmarkReport.bytes(m.usage().peakResidentBytes()),
                        m.usage().peakThreads(), m.usage().masters(), m.usage().tcpConnections());
            }
            Few few = targets < FEW_TARGETS ? null : few(machines, hosts, ports, environment, watched);
            return new Result(targets, servicesPerTarget, parallel, manyRuns, oneRuns, firstOne, firstMany, removeMany, removeOne, connect,
                    load, few);
        } finally {
            hosts.forEach(SshHost::close);
            machines.forEach(SystemdUserManager::close);
        }
    }

    /** The few-targets comparison: the same deployment with {@code --parallel 1} and {@code --parallel 4}, in alternating pairs. */
    private Few few(List<SystemdUserManager> machines, List<SshHost> hosts, List<Integer> ports, Map<String, String> environment,
            List<CoordinatorSampler.Host> watched) throws Exception {
        Path model = writeModel(work.resolve("model-few"), machines, hosts, FEW_TARGETS, ports, FEW_INSTANCES / FEW_TARGETS);
        String profile = "few";
        List<Deploy> one = new ArrayList<>();
        List<Deploy> four = new ArrayList<>();
        for (int round = 0; round < Math.max(2, rounds); round++) {
            for (int parallelNow : round % 2 == 0 ? List.of(1, FEW_PARALLEL) : List.of(FEW_PARALLEL, 1)) {
                (parallelNow == 1 ? one : four).add(deploy(model, profile, environment, watched.subList(0, FEW_TARGETS), FEW_TARGETS,
                        parallelNow, FEW_INSTANCES));
                System.out.printf(Locale.ROOT, "  --parallel %d, per target:%n%s%n", parallelNow,
                        (parallelNow == 1 ? one : four).get((parallelNow == 1 ? one : four).size() - 1).timeline());
                beckon.run(environment, process -> {}, "deploy", model.toString(), "--profile", profile, "--parallel",
                        String.valueOf(FEW_PARALLEL), "--distribution", model.resolve("empty-distribution.toml").toString()).requireSuccess();
            }
            System.out.printf(Locale.ROOT, "  %d instances on %d targets, round %d: --parallel 1 %s, --parallel %d %s%n", FEW_INSTANCES,
                    FEW_TARGETS, round + 1, BenchmarkReport.ms(one.get(round).millis()), FEW_PARALLEL,
                    BenchmarkReport.ms(four.get(round).millis()));
        }
        return new Few(one, four);
    }

    static String target(int i) {
        return String.format(Locale.ROOT, "t%02d", i);
    }

    /** The services s0..s(S-1), each on every one of the first {@code count} targets, listening on that target's address. */
    private Path writeModel(Path directory, List<SystemdUserManager> machines, List<SshHost> hosts, int count, List<Integer> ports,
            int servicesPerTarget) throws IOException {
        Files.createDirectories(directory);
        StringBuilder infrastructure = new StringBuilder();
        for (int i = 0; i < count; i++) {
            infrastructure.append("[targets.").append(target(i)).append("]\n")
                    .append("host = \"").append(hosts.get(i).destination()).append("\"\n")
                    .append("hostname = \"").append(hosts.get(i).address()).append("\"\n")
                    .append("state-dir = \"").append(work.resolve("state/" + target(i))).append("\"\n")
                    .append("[targets.").append(target(i)).append(".containers.systemd-unit]\n")
                    .append("journal-directory = \"").append(machines.get(i).journalDirectory()).append("\"\n");
        }
        StringBuilder services = new StringBuilder();
        StringBuilder distribution = new StringBuilder();
        List<String> placed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            placed.add('"' + target(i) + '"');
        }
        for (int s = 0; s < servicesPerTarget; s++) {
            services.append("[services.s").append(s).append("]\n")
                    .append("type = \"systemd-unit\"\n")
                    .append("package = \"").append(helloServer).append("\"\n")
                    .append("exec = [\"java\", ").append(HelloModels.JVM_OPTIONS)
                    .append(", \"-jar\", \"{package}/hello-server.jar\", \"--greeting\", \"hello from s").append(s).append(" on {target.name}\"]\n")
                    .append("ports = { greeting = ").append(ports.get(s)).append(" }\n")
                    .append("class-data-archive = false\n")
                    .append("[services.s").append(s).append(".on-demand]\n")
                    .append("listen = [\"{target.hostname}:{ports.greeting}\"]\n")
                    .append("idle-timeout = \"5s\"\n\n");
            distribution.append('s').append(s).append(" = [").append(String.join(", ", placed)).append("]\n");
        }
        Files.writeString(directory.resolve("infrastructure.toml"), infrastructure);
        Files.writeString(directory.resolve("services.toml"), services);
        Files.writeString(directory.resolve("distribution.toml"), distribution);
        Files.writeString(directory.resolve("empty-distribution.toml"), "");
        return directory;
    }

    private Deploy deploy(Path model, String profile, Map<String, String> environment, List<CoordinatorSampler.Host> watched,
            int count) throws Exception {
        return deploy(model, profile, environment, watched, count, parallel, count * servicesPerTarget);
    }

    private Deploy deploy(Path model, String profile, Map<String, String> environment, List<CoordinatorSampler.Host> watched,
            int count, int parallel, int instances) throws Exception {
        AtomicReference<CoordinatorSampler> sampler = new AtomicReference<>();
        Command.Result run = beckon.run(environment, process -> sampler.set(CoordinatorSampler.start(process, watched)), "deploy",
                model.toString(), "--profile", profile, "--parallel", String.valueOf(parallel)).requireSuccess();
        CoordinatorSampler.Usage usage = sampler.get().finish();
        long activated = run.lines().stream().filter(line -> line.text().contains("  activated")).count();
        if (activated != instances) {
            throw new IllegalStateException(activated + " of " + instances + " instances activated:\n" + run.output());
        }
        Map<String, Double> firstStep = new java.util.TreeMap<>();
        Map<String, Double> lastActivated = new java.util.TreeMap<>();
        Map<String, Double> confirmed = new java.util.TreeMap<>();
        for (int i = 0; i < count; i++) {
            String prefix = "[" + target(i) + "] ";
            firstStep.put(target(i), run.arrival(prefix).orElseThrow());
            lastActivated.put(target(i), run.lastArrival(prefix + "+ ").orElseThrow());
            String name = target(i);
            run.arrival(prefix + "confirmed").ifPresent(at -> confirmed.put(name, at));
        }
        return new Deploy(run.millis(), run.arrival("beckon will:").orElseThrow(), firstStep.values().stream().min(Double::compare).orElseThrow(),
                lastActivated.values().stream().max(Double::compare).orElseThrow(), run.arrival("Deployed generation").orElseThrow(), firstStep,
                lastActivated, confirmed, usage);
    }

    private double remove(Path model, String profile, Map<String, String> environment) throws IOException {
        return beckon.run(environment, process -> {}, "deploy", model.toString(), "--profile", profile, "--parallel", String.valueOf(parallel),
                "--distribution", model.resolve("empty-distribution.toml").toString()).requireSuccess().millis();
    }

    /** One SSH connection's cost on its own: a master connection opened and closed with the benchmark's configuration, median of 5. */
    private double connectMillis(SshHost host) throws IOException {
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Path control = work.resolve("connect-" + i);
            List<String> base = List.of("ssh", "-F", work.resolve("ssh_config").toString(), "-o", "ControlPath=" + control, "-p",
                    String.valueOf(host.port()));
            String destination = System.getProperty("user.name") + "@" + host.address();
            List<String> open = new ArrayList<>(base);
            open.addAll(List.of("-o", "ControlMaster=yes", "-N", "-f", destination));
            times.add(Command.run(open, Map.of(), java.time.Duration.ofSeconds(60)).requireSuccess().millis());
            List<String> exit = new ArrayList<>(base);
            exit.addAll(List.of("-O", "exit", destination));
            Command.run(exit, Map.of(), java.time.Duration.ofSeconds(30));
        }
        return Stats.of(times).median();
    }
}
