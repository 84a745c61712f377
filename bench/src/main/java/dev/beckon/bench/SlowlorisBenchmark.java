package dev.beckon.bench;

import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The slowloris figure: many clients that connect, send one byte and then hold their connection open
 * and idle, against the idle-monitor README's echo server ({@link IdleEchoServer}) socket-activated by
 * the sandbox's systemd, with a connection bound and without one. While they are held: the service's
 * resident memory and threads, how many it serves and how many wait in the kernel (the listener's
 * backlog, and beyond it connects the kernel has not answered yet). Then each served client closes as
 * soon as its byte came back, so that the waiting ones are served as others close: every client must be
 * served, none lost; and once all have closed the service must exit by itself at its idle timeout.
 */
final class SlowlorisBenchmark {
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);
    /** The hold ends this long after the last client was connected or served, since more would not come. */
    private static final long SETTLED_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** And lasts at least this long: several idle timeouts pass with every connection held. */
    private static final long MIN_HOLD_NANOS = TimeUnit.SECONDS.toNanos(15);
    private static final long MAX_HOLD_NANOS = TimeUnit.MINUTES.toNanos(3);
    /** A client not served by then is lost; longer than the kernel's 127 s of SYN retries. */
    private static final long RELEASE_LIMIT_NANOS = TimeUnit.MINUTES.toNanos(5);
    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /**
     * What one variant measured.
     *
     * @param bound the service's connection bound; 0 for none
     * @param servedWhileHeld clients whose byte came back during the hold: the connections the service took
     * @param inBacklog connections the kernel queued on the listener (its accept queue) at the end of the hold
     * @param connecting clients whose connect the kernel had not completed then (beyond the backlog)
     * @param residentBytes the service's resident set at the end of the hold; {@code threads} likewise
     * @param peakResidentBytes the highest resident set sampled (every 250 ms) over the whole run; {@code peakThreads} likewise
     * @param served clients served in all; {@code lost}: the others (a connect or read that failed, or never answered)
     * @param processes service processes that served them (a new one starts when one exited for idleness with clients still to come)
     * @param exitAfterLastCloseMillis from the last client's close until the unit was inactive again; -1 if it did not end in a minute
     * @param exit the unit's Result and its process's exit status then
     */
    record Variant(int bound, int clients, int servedWhileHeld, int inBacklog, int connecting, double heldSeconds, long residentBytes,
            int threads, long peakResidentBytes, int peakThreads, int served, int lost, int processes, double releaseSeconds,
            double exitAfterLastCloseMillis, String exit) {}

    record Result(List<Variant> variants, String loadAverage) {}

    private final Path work;
    private final int clients;
    private final int bound;

    SlowlorisBenchmark(Path work, int clients, int bound) {
        this.work = work;
        this.clients = clients;
        this.bound = bound;
    }

    Result run() throws IOException, InterruptedException {
        String load = Machine.loadAverage();
        List<Variant> variants = new ArrayList<>();
        try (SystemdUserManager systemd = SystemdUserManager.start(work.resolve("sandbox"))) {
            List<Integer> ports = Sockets.freePorts(2);
            variants.add(measure(systemd, "slowloris-bounded", ports.get(0), bound));
            variants.add(measure(systemd, "slowloris-unbounded", ports.get(1), 0));
        }
        return new Result(variants, load);
    }

    private Variant measure(SystemdUserManager systemd, String name, int port, int bound) throws IOException, InterruptedException {
        install(systemd, name, port, bound);
        Clients held = new Clients(clients, port);
        Sampler sampler = new Sampler(systemd, name);
        try {
            long began = System.nanoTime();
            held.connectAll();
            while (true) {
                held.process(100);
                sampler.sampleIfDue();
                long now = System.nanoTime();
                boolean settled = now - held.lastProgress > SETTLED_NANOS || held.served + held.lost == clients;
                if ((settled && now - began > MIN_HOLD_NANOS) || now - began > MAX_HOLD_NANOS) {
                    break;
                }
            }
            double heldSeconds = (System.nanoTime() - began) / 1e9;
            sampler.sample();
            long resident = sampler.resident;
            int threads = sampler.threads;
            int servedWhileHeld = held.served;
            int inBacklog = acceptQueue(port);
            int connecting = held.connecting();
            System.out.printf(Locale.ROOT, "  %s, bound %s: %,d clients held for %.0f s: %,d served, %,d in the backlog, %,d still connecting;"
                    + " service %s resident, %d threads%n", name, bound == 0 ? "none" : bound, clients, heldSeconds, servedWhileHeld, inBacklog,
                    connecting, BenchmarkReport.bytes(resident), threads);

            long releasing = System.nanoTime();
            held.closeServed();
            while (held.closed + held.lost < clients && System.nanoTime() - releasing < RELEASE_LIMIT_NANOS) {
                held.process(100);
                sampler.sampleIfDue();
            }
            long lastClose = System.nanoTime();
            double releaseSeconds = (lastClose - releasing) / 1e9;
            int lost = clients - held.served;
            held.closeAll();
            double exitMillis = -1;
            long deadline = lastClose + TimeUnit.MINUTES.toNanos(1);
            while (System.nanoTime() < deadline) {
                sampler.sample();
                if (property(systemd, name + ".service", "ActiveState").equals("inactive")) {
                    exitMillis = (System.nanoTime() - lastClose) / 1e6;
                    break;
                }
                Thread.sleep(20);
            }
            String exit = property(systemd, name + ".service", "Result") + ", status " + property(systemd, name + ".service", "ExecMainStatus");
            System.out.printf(Locale.ROOT, "  then served as others closed: %,d served in all, %,d lost, in %.1f s, by %d process(es);"
                    + " peak %s resident, %d threads; inactive %.0f ms after the last close (%s)%n", held.served, lost, releaseSeconds,
                    sampler.pids.size(), BenchmarkReport.bytes(sampler.peakResident), sampler.peakThreads, exitMillis, exit);
            return new Variant(bound, clients, servedWhileHeld, inBacklog, connecting, heldSeconds, resident, threads, sampler.peakResident,
                    sampler.peakThreads, held.served, lost, sampler.pids.size(), releaseSeconds, exitMillis, exit);
        } finally {
            held.closeAll();
            systemd.systemctl("stop", name + ".socket", name + ".service");
        }
    }

    /** A socket unit whose backlog is as long as the kernel allows, and the echo server with the bound in its environment. */
    private void install(SystemdUserManager systemd, String name, int port, int bound) throws IOException {
        Files.writeString(systemd.unitDirectory().resolve(name + ".socket"), "[Socket]\nListenStream=127.0.0.1:" + port + "\n"
                // The kernel caps it at net.core.somaxconn; the rest of the clients wait in their connect.
                + "Backlog=65535\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(systemd.unitDirectory().resolve(name + ".service"), "[Unit]\nStartLimitIntervalSec=0\n[Service]\n"
                + "ExecStart=" + java + " -cp " + BenchmarkRun.classPath() + " " + IdleEchoServer.class.getName() + "\n"
                + "Environment=BECKON_IDLE_TIMEOUT=" + IDLE_TIMEOUT.toSeconds() + "s\n"
                + (bound > 0 ? "Environment=BECKON_MAX_CONNECTIONS=" + bound + "\n" : "")
                + "StandardInput=socket\nStandardOutput=journal\nStandardError=journal\n"
                // Room for every client, so that only the bound limits what the service holds.
                + "LimitNOFILE=" + (clients + 1024) + "\nTasksMax=infinity\n");
        require(systemd.systemctl("daemon-reload"), "daemon-reload");
        require(systemd.systemctl("start", name + ".socket"), "start " + name + ".socket");
    }

    /** The listener's accept queue now: Recv-Q of a listening socket in {@code ss}. */
    private static int acceptQueue(int port) throws IOException {
        Command.Result ss = Command.run(List.of("ss", "-ltnH", "sport = :" + port), Map.of(), Duration.ofSeconds(10));
        for (String line : ss.output().lines().toList()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 2 && fields[0].equals("LISTEN")) {
                return Integer.parseInt(fields[1]);
            }
        }
        return -1;
    }

    private static String property(SystemdUserManager systemd, String unit, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", unit).stdout().strip();
    }

    private static void require(CommandResult result, String what) {
        if (!result.succeeded()) {
            throw new IllegalStateException("systemctl " + what + " failed: " + result);
        }
    }

    /** The service's process, sampled: resident set and threads now, their peaks, and every pid seen. */
    private static final class Sampler {
        private final SystemdUserManager systemd;
        private final String unit;
        final Set<Long> pids = new HashSet<>();
        long resident = -1;
        int threads = -1;
        long peakResident = -1;
        int peakThreads = -1;
        private long last;
        private long pid;

        Sampler(SystemdUserManager systemd, String name) {
            this.systemd = systemd;
            this.unit = name + ".service";
        }

        void sampleIfDue() throws IOException {
            if (System.nanoTime() - last > SAMPLE_NANOS) {
                sample();
            }
        }

        void sample() throws IOException {
            last = System.nanoTime();
            if (pid == 0 || !Files.exists(Path.of("/proc", Long.toString(pid)))) {
                // Asked only when the last one is gone: a systemctl per sample would load the machine it measures.
                pid = Long.parseLong(property(systemd, unit, "MainPID"));
            }
            if (pid == 0) {
                return;
            }
            try {
                List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
                pids.add(pid);
                resident = field(status, "VmRSS:") * 1024;
                threads = (int) field(status, "Threads:");
                peakResident = Math.max(peakResident, resident);
                peakThreads = Math.max(peakThreads, threads);
            } catch (NoSuchFileException gone) {
                // Exited between the two looks.
            }
        }

        private static long field(List<String> lines, String name) {
            for (String line : lines) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return -1;
        }
    }

    /** The clients, on one selector: each connects, sends one byte, and holds on until told to close once it came back. */
    private static final class Clients {
        private static final byte CONNECTING = 0;
        private static final byte WAITING = 1;
        private static final byte SERVED = 2;
        private static final byte CLOSED = 3;
        private static final byte FAILED = 4;

        private final int port;
        private final SocketChannel[] channels;
        private final byte[] states;
        private final Selector selector;
        private final ByteBuffer one = ByteBuffer.allocate(16);
        private boolean releasing;
        int served;
        int closed;
        int lost;
        long lastProgress = System.nanoTime();

        Clients(int count, int port) throws IOException {
            this.port = port;
            this.channels = new SocketChannel[count];
            this.states = new byte[count];
            this.selector = Selector.open();
        }

        void connectAll() throws IOException {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            for (int i = 0; i < channels.length; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channels[i] = channel;
                try {
                    if (channel.connect(address)) {
                        connected(i);
                    } else {
                        channel.register(selector, SelectionKey.OP_CONNECT, i);
                    }
                } catch (IOException e) {
                    failed(i);
                }
                if (i % 500 == 499) {
                    // Keep the first ones moving while the rest connect.
                    process(0);
                }
            }
        }

        void process(long timeoutMillis) throws IOException {
            if (timeoutMillis == 0) {
                selector.selectNow();
            } else {
                selector.select(timeoutMillis);
            }
            for (SelectionKey key : selector.selectedKeys()) {
                int i = (Integer) key.attachment();
                if (!key.isValid()) {
                    continue;
                }
                try {
                    if (key.isConnectable()) {
                        if (channels[i].finishConnect()) {
                            connected(i);
                        }
                    } else if (key.isReadable()) {
                        one.clear();
                        int read = channels[i].read(one);
                        if (read < 0) {
                            failed(i);
                        } else if (read > 0 && states[i] == WAITING) {
                            states[i] = SERVED;
                            served++;
                            lastProgress = System.nanoTime();
                            if (releasing) {
                                close(i);
                            }
                        }
                    }
                } catch (IOException e) {
                    failed(i);
                }
            }
            selector.selectedKeys().clear();
        }

        private void connected(int i) throws IOException {
            states[i] = WAITING;
            lastProgress = System.nanoTime();
            channels[i].write(ByteBuffer.wrap(new byte[] {'x'}));
            channels[i].register(selector, SelectionKey.OP_READ, i);
        }

        private void failed(int i) {
            if (states[i] != FAILED && states[i] != CLOSED) {
                states[i] = FAILED;
                lost++;
                closeQuietly(channels[i]);
            }
        }

        private void close(int i) {
            states[i] = CLOSED;
            closed++;
            closeQuietly(channels[i]);
        }

        /** From now on each client closes as soon as it was served; those served already close now. */
        void closeServed() {
            releasing = true;
            for (int i = 0; i < channels.length; i++) {
                if (states[i] == SERVED) {
                    close(i);
                }
            }
        }

        int connecting() {
            int count = 0;
            for (byte state : states) {
                count += state == CONNECTING ? 1 : 0;
            }
            return count;
        }

        void closeAll() {
            for (SocketChannel channel : channels) {
                if (channel != null) {
                    closeQuietly(channel);
                }
            }
            closeQuietly(selector);
        }

        private static void closeQuietly(AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // Closing a client; nothing to do about it.
            }
        }
    }
}
