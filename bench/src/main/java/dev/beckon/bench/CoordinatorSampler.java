package dev.beckon.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Watches one {@code bin/beckon} deploying to SSH targets, from {@code /proc}, every {@value #SAMPLE_MILLIS} ms, on a
 * thread of its own: the coordinator JVM's resident high-water mark, threads and open files; the ssh client processes
 * that reach the benchmark's sshd hosts (the master connections, which {@code -f} detaches from beckon, and the
 * sessions over them or beside them); the TCP connections to those hosts; and, per target, when its master connection
 * and its agent (a {@code TargetAgent} JVM in that machine's mount namespace) first showed. Only processes that name
 * one of these hosts, or run in one of their namespaces, count: other test runs on the machine have sshds of their own.
 * A process that lived less than one interval may be missed, so the counts are lower bounds.
 */
final class CoordinatorSampler {
    static final int SAMPLE_MILLIS = 50;
    private static final String AGENT_CLASS = "dev.beckon.planner.target.ssh.TargetAgent";

    /** One sshd host as the sampler recognises it: the target's name, where its sshd listens, its machine's mount namespace. */
    record Host(String target, String address, int port, String mountNamespace) {
        /** The host as {@code /proc/net/tcp} writes a remote end: the address's bytes little-endian, then the port, in hex. */
        String tcpKey() {
            String[] bytes = address.split("\\.");
            return String.format(Locale.ROOT, "%02X%02X%02X%02X:%04X", Integer.parseInt(bytes[3]), Integer.parseInt(bytes[2]),
                    Integer.parseInt(bytes[1]), Integer.parseInt(bytes[0]), port);
        }
    }

    /**
     * What one command used.
     *
     * @param masterAt per target, ms after the start when its master connection first showed
     * @param agentAt per target, ms after the start when its agent's JVM first showed
     */
    record Usage(long peakResidentBytes, int peakThreads, int peakOpenFiles, int masters, int otherSshProcesses, int tcpConnections,
            int peakTcpConnections, int agents, Map<String, Double> masterAt, Map<String, Double> agentAt, List<CpuSample> cpu) {
        /**
         * The share of the machine's processor time that was busy from {@code fromMillis} to {@code toMillis} (after the
         * start), between the samples around them; NaN when the samples do not span it.
         */
        double busyBetween(double fromMillis, double toMillis) {
            // The last sample at or before the start and the first at or after the end (the one taken once it exited).
            CpuSample first = cpu.isEmpty() ? null : cpu.get(0);
            CpuSample last = null;
            for (CpuSample sample : cpu) {
                if (sample.millis() <= fromMillis) {
                    first = sample;
                }
                if (last == null && sample.millis() >= toMillis) {
                    last = sample;
                }
            }
            if (first == null || last == null || last.millis() <= first.millis()) {
                return Double.NaN;
            }
            return last.time().busySince(first.time());
        }
    }

    /** The machine's processor time ({@code /proc/stat}) at {@code millis} after the start. */
    record CpuSample(double millis, Machine.CpuTime time) {}

    private final ProcessHandle coordinator;
    private final List<Host> hosts;
    private final Map<String, Host> byNamespace = new HashMap<>();
    private final Map<String, Host> byTcpKey = new HashMap<>();
    private final long began = System.nanoTime();
    private final Thread thread;
    private final Set<Long> seen = new HashSet<>();
    private final Set<String> tcpSeen = new HashSet<>();
    private final Map<String, Double> masterAt = new HashMap<>();
    private final Map<String, Double> agentAt = new HashMap<>();
    private final List<CpuSample> cpu = new java.util.ArrayList<>();
    private long peakResident;
    private int peakThreads;
    private int peakOpenFiles;
    private final Set<String> masterPaths = new HashSet<>();
    private int otherSsh;
    private int peakTcp;
    private final Set<Long> agentPids = new HashSet<>();
    /** Processes in the machines' namespaces not yet known to be agents. */
    private final Set<Long> inMachines = new HashSet<>();

    private CoordinatorSampler(ProcessHandle coordinator, List<Host> hosts) {
        this.coordinator = coordinator;
        this.hosts = hosts;
        hosts.forEach(host -> byNamespace.put(host.mountNamespace(), host));
        hosts.forEach(host -> byTcpKey.put(host.tcpKey(), host));
        this.thread = new Thread(this::loop, "sampler of beckon " + coordinator.pid());
        thread.setDaemon(true);
    }

    /** Starts sampling {@code coordinator} at once; {@link #finish} after it exited. */
    static CoordinatorSampler start(ProcessHandle coordinator, List<Host> hosts) {
        CoordinatorSampler sampler = new CoordinatorSampler(coordinator, hosts);
        // What ran before it started is not its own: every process already there is marked seen.
        try {
            sampler.newProcesses(false);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        sampler.thread.start();
        return sampler;
    }

    /** The mount namespace of a process, as {@code /proc/PID/ns/mnt} names it. */
    static String mountNamespace(long pid) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "mnt")).toString();
    }

    Usage finish() throws InterruptedException {
        thread.join(TimeUnit.SECONDS.toMillis(30));
        cpu.add(new CpuSample(millis(), Machine.cpuTime()));
        return new Usage(peakResident, peakThreads, peakOpenFiles, masterPaths.size(), otherSsh, tcpSeen.size(), peakTcp, agentPids.size(), Map.copyOf(masterAt),
                Map.copyOf(agentAt), List.copyOf(cpu));
    }

    private void loop() {
        while (coordinator.isAlive()) {
            try {
                sample();
                Thread.sleep(SAMPLE_MILLIS);
            } catch (IOException e) {
                // A process ended between two looks; the next sample goes on.
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() throws IOException {
        cpu.add(new CpuSample(millis(), Machine.cpuTime()));
        Path status = Path.of("/proc", Long.toString(coordinator.pid()), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    peakResident = Math.max(peakResident, kilobytes(line) * 1024);
                } else if (line.startsWith("Threads:")) {
                    peakThreads = Math.max(peakThreads, (int) kilobytes(line));
                }
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(Path.of("/proc", Long.toString(coordinator.pid()), "fd"))) {
                int open = 0;
                for (Path ignored : files) {
                    open++;
                }
                peakOpenFiles = Math.max(peakOpenFiles, open);
            }
        } catch (NoSuchFileException gone) {
            return;
        }
        newProcesses(true);
        tcp();
    }

    /** Looks at every process not seen before; {@code count}: false only for those that were there before the command. */
    private void newProcesses(boolean count) throws IOException {
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), entry -> Character.isDigit(
                entry.getFileName().toString().charAt(0)))) {
            for (Path process : processes) {
                long pid = Long.parseLong(process.getFileName().toString());
                if (!seen.add(pid) || !count) {
                    continue;
                }
                try {
                    classify(pid, arguments(pid));
                    // A process in a machine's namespace may be sshd's session child that becomes the agent's JVM
                    // (sshd, then the login shell, then an exec of java): looked at again until it is one or ends.
                    if (byNamespace.containsKey(mountNamespace(pid)) && !agentPids.contains(pid)) {
                        inMachines.add(pid);
                    }
                } catch (NoSuchFileException | java.nio.file.AccessDeniedException gone) {
                    // Ended before it could be read.
                }
            }
        }
        for (java.util.Iterator<Long> pids = inMachines.iterator(); pids.hasNext(); ) {
            long pid = pids.next();
            try {
                classify(pid, arguments(pid));
                if (agentPids.contains(pid)) {
                    pids.remove();
                }
            } catch (NoSuchFileException | java.nio.file.AccessDeniedException gone) {
                pids.remove();
            }
        }
    }

    private static String[] arguments(long pid) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8).split("\0");
    }

    private void classify(long pid, String[] arguments) throws IOException {
        List<String> words = List.of(arguments);
        if (words.contains(AGENT_CLASS)) {
            Host host = byNamespace.get(mountNamespace(pid));
            if (host != null && agentPids.add(pid)) {
                agentAt.putIfAbsent(host.target(), millis());
            }
            return;
        }
        if (words.isEmpty() || !(words.get(0).equals("ssh") || words.get(0).endsWith("/ssh"))) {
            return;
        }
        for (Host host : hosts) {
            int port = words.indexOf("-p");
            boolean ours = port >= 0 && port + 1 < words.size() && words.get(port + 1).equals(String.valueOf(host.port()))
                    && words.stream().anyMatch(word -> word.endsWith("@" + host.address()) || word.equals(host.address()));
            if (ours) {
                if (words.contains("ControlMaster=yes")) {
                    // ssh -f forks once it is connected: the one master shows as two processes, with one control path.
                    words.stream().filter(word -> word.startsWith("ControlPath=")).forEach(masterPaths::add);
                    masterAt.putIfAbsent(host.target(), millis());
                } else {
                    otherSsh++;
                }
                return;
            }
        }
    }

    /** The established TCP connections whose remote end is one of the hosts' sshd: each counted once, and the most at once. */
    private void tcp() throws IOException {
        int now = 0;
        List<String> lines = Files.readAllLines(Path.of("/proc/net/tcp"));
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length > 3 && fields[3].equals("01") && byTcpKey.containsKey(fields[2])) {
                now++;
                tcpSeen.add(fields[1] + ">" + fields[2]);
            }
        }
        peakTcp = Math.max(peakTcp, now);
    }

    private double millis() {
        return (System.nanoTime() - began) / 1e6;
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
