package dev.beckon.bench;

import dev.beckon.activation.ActivationModules;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.InvalidModelException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestResolver;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.StateDirectories;
import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What services cost while nobody uses them: the same hello-world servers deployed on demand by
 * beckon and left idle, against as many always running. Memory is read from {@code /proc}: the
 * resident set of every process the services added to the sandbox (the sum the issue asks for, which
 * counts the JVM's shared pages once per process) and their proportional set size (shared pages split
 * among their users: what the machine really gives up), and the service manager's own growth.
 */
final class IdleCostBenchmark {
    private static final long START_LIMIT_MILLIS = TimeUnit.MINUTES.toMillis(5);
    /** Servers that just answered their first client have not settled their heap and JIT yet. */
    private static final long SETTLE_MILLIS = 3_000;

    /** One way of running the services, measured while idle. */
    /** @param commands how many processes run each program ({@code /proc/PID/comm}) */
    record Footprint(int processes, Map<String, Integer> commands, long residentBytes, long proportionalBytes, long managerGrowthBytes,
            double startMillis) {}

    record Result(int services, Footprint onDemand, Footprint alwaysOn, String loadAverage) {}

    private final Path work;
    private final Path helloServer;
    private final BeckonCli beckon;
    private final int services;

    IdleCostBenchmark(Path work, Path helloServer, BeckonCli beckon, int services) {
        this.work = work;
        this.helloServer = helloServer;
        this.beckon = beckon;
        this.services = services;
    }

    /** Each way in a sandbox of its own, so that neither's traces in the manager count for the other. */
    Result run() throws IOException, InterruptedException, InvalidModelException, PlanningException {
        String load = Machine.loadAverage();
        List<Integer> ports = Sockets.freePorts(services);
        Path state = work.resolve("state");
        Footprint onDemand;
        try (SystemdUserManager systemd = SystemdUserManager.start(work.resolve("sandbox-on-demand"))) {
            Set<Long> sandbox = systemd.processes();
            long managerBefore = memory(systemd.pid()).resident();
            Path model = HelloModels.write(work.resolve("on-demand"), helloServer, ports, systemd, state, true);
            double deployMillis = beckon.run("deploy", model.toString(), "--home", work.resolve("home").toString()).requireSuccess().millis();
            Thread.sleep(SETTLE_MILLIS);
            onDemand = footprint(systemd, sandbox, managerBefore, deployMillis);
            System.out.printf(Locale.ROOT, "  %d on demand, idle: %d processes %s, %s resident%n", services, onDemand.processes(),
                    onDemand.commands(), BenchmarkReport.bytes(onDemand.residentBytes()));
        }
        Footprint alwaysOn;
        try (SystemdUserManager systemd = SystemdUserManager.start(work.resolve("sandbox-always-on"))) {
            Set<Long> sandbox = systemd.processes();
            long managerBefore = memory(systemd.pid()).resident();
            // The packages are in the store already: beckon put them there for the on-demand deployment.
            double startMillis = startAlwaysOn(systemd, state, ports);
            Thread.sleep(SETTLE_MILLIS);
            alwaysOn = footprint(systemd, sandbox, managerBefore, startMillis);
            System.out.printf(Locale.ROOT, "  %d always running, idle: %d processes %s, %s resident, %s proportional%n", services,
                    alwaysOn.processes(), alwaysOn.commands(), BenchmarkReport.bytes(alwaysOn.residentBytes()),
                    BenchmarkReport.bytes(alwaysOn.proportionalBytes()));
        }
        return new Result(services, onDemand, alwaysOn, load);
    }

    /**
     * Writes the always-on units exactly as beckon renders them and starts them all at once, then waits
     * until every one answers. ({@code beckon deploy} would start them one by one, each watched for
     * half a second, which only makes the run longer; what is measured here is what they cost once up.)
     */
    private double startAlwaysOn(SystemdUserManager systemd, Path state, List<Integer> ports)
            throws IOException, InvalidModelException, PlanningException, InterruptedException {
        Path model = HelloModels.write(work.resolve("always-on"), helloServer, ports, systemd, state, false);
        Map<String, String> environment = System.getenv();
        Manifest manifest = new ManifestResolver(ActivationModules::forType, target -> StateDirectories.of(target, environment))
                .resolve(ModelLoader.load(model), "default");
        List<String> start = new ArrayList<>(List.of("start", "--no-block"));
        for (ManifestEntry entry : manifest.entries()) {
            for (Map.Entry<String, String> file : entry.files().entrySet()) {
                Files.writeString(systemd.unitDirectory().resolve(file.getKey()), file.getValue());
                if (file.getKey().endsWith(".service")) {
                    start.add(file.getKey());
                }
            }
        }
        long began = System.nanoTime();
        require(systemd.systemctl("daemon-reload"), "daemon-reload");
        // Even enqueueing the starts competes with the JVMs already starting, for longer than
        // SystemdUserManager.systemctl allows (30 s); the same call with a limit of its own.
        Map<String, String> witness = new HashMap<>();
        witness.put("XDG_RUNTIME_DIR", systemd.runtimeDirectory().toString());
        witness.put("DBUS_SESSION_BUS_ADDRESS", null);
        List<String> command = new ArrayList<>(List.of("systemctl", "--user", "--no-pager"));
        command.addAll(start);
        Command.run(command, witness, Duration.ofMillis(START_LIMIT_MILLIS)).requireSuccess();
        long deadline = System.currentTimeMillis() + START_LIMIT_MILLIS;
        for (int port : ports) {
            while (true) {
                try {
                    Sockets.greeting(port, 10_000);
                    break;
                } catch (IOException notYet) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("127.0.0.1:" + port + " did not answer within 5 minutes", notYet);
                    }
                    Thread.sleep(100);
                }
            }
        }
        return (System.nanoTime() - began) / 1e6;
    }

    /**
     * Every process in the services' units (by its control group: the sandbox's user bus, started on
     * demand when beckon first connects, is no service), and the manager's growth since {@code managerBefore}.
     */
    private static Footprint footprint(SystemdUserManager systemd, Set<Long> sandbox, long managerBefore, double startMillis)
            throws IOException {
        Set<Long> added = new HashSet<>(systemd.processes());
        added.removeAll(sandbox);
        added.removeIf(pid -> !inServiceUnit(pid));
        long resident = 0;
        long proportional = 0;
        int processes = 0;
        Map<String, Integer> commands = new TreeMap<>();
        for (long pid : added) {
            Memory memory = memory(pid);
            if (memory.resident() >= 0) {
                processes++;
                resident += memory.resident();
                proportional += memory.proportional();
                commands.merge(command(pid), 1, Integer::sum);
            }
        }
        return new Footprint(processes, commands, resident, proportional, memory(systemd.pid()).resident() - managerBefore, startMillis);
    }

    private static boolean inServiceUnit(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cgroup")).contains("/beckon-default-");
        } catch (IOException gone) {
            return false;
        }
    }

    private static String command(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException gone) {
            return "?";
        }
    }

    /** Resident and proportional set of a process in bytes; -1 when it has gone. */
    private record Memory(long resident, long proportional) {}

    private static Memory memory(long pid) throws IOException {
        try {
            long resident = kilobytes(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")), "VmRSS:");
            long proportional = kilobytes(Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup")), "Pss:");
            return new Memory(resident * 1024, proportional * 1024);
        } catch (NoSuchFileException gone) {
            return new Memory(-1, -1);
        }
    }

    private static long kilobytes(List<String> lines, String field) {
        for (String line : lines) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    private static void require(CommandResult result, String what) {
        if (!result.succeeded()) {
            throw new IllegalStateException("systemctl " + what + " failed: " + result);
        }
    }
}
