package dev.beckon.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * An OpenSSH server on a loopback address of its own (127.0.0.2, 127.0.0.3, ...), running inside a
 * {@link SystemdUserManager}'s private mount namespace, so that what logs in over SSH sees that manager
 * on its usual bus and looks like a separate machine. Keys are generated for it; host key checking stays
 * on, through a known_hosts file that holds its key.
 *
 * <p>Every process it starts runs in the manager's namespace, so closing the manager kills them all; its
 * own {@link #close} stops the server by pid.
 */
public final class SshHost implements AutoCloseable {
    private static final String SSHD = "/usr/sbin/sshd";
    private static final Duration START_LIMIT = Duration.ofSeconds(20);

    private final Path directory;
    private final String address;
    private final int port;
    private final Process server;

    private SshHost(Path directory, String address, int port, Process server) {
        this.directory = directory;
        this.address = address;
        this.port = port;
        this.server = server;
    }

    /**
     * Starts sshd on {@code address} (a free port of it), inside {@code machine}'s namespace, logging in
     * as the current user with a key made for it under {@code directory}.
     */
    public static SshHost start(Path directory, String address, SystemdUserManager machine) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(SSHD))) {
            throw new IllegalStateException(SSHD + " is missing: install Debian's openssh-server package");
        }
        directory = Files.createDirectories(directory.toAbsolutePath());
        Path hostKey = directory.resolve("host_key");
        Path clientKey = directory.resolve("client_key");
        keygen(hostKey);
        keygen(clientKey);
        Files.copy(directory.resolve("client_key.pub"), directory.resolve("authorized_keys"));
        int port = freePort(address);
        Files.writeString(directory.resolve("sshd_config"), String.join("\n",
                "ListenAddress " + address + ":" + port,
                "HostKey " + hostKey,
                "PidFile " + directory.resolve("sshd.pid"),
                "AuthorizedKeysFile " + directory.resolve("authorized_keys"),
                "StrictModes no",
                "UsePAM no",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "MaxSessions 64",
                "MaxStartups 64",
                "LogLevel ERROR",
                ""));
        String hostPublicKey = Files.readString(directory.resolve("host_key.pub")).strip();
        Files.writeString(directory.resolve("known_hosts"), "[" + address + "]:" + port + " " + hostPublicKey + "\n");
        Files.writeString(directory.resolve("ssh_config"), String.join("\n",
                "Host *",
                "  IdentityFile " + clientKey,
                "  IdentitiesOnly yes",
                "  UserKnownHostsFile " + directory.resolve("known_hosts"),
                "  GlobalKnownHostsFile /dev/null",
                "  StrictHostKeyChecking yes",
                "  BatchMode yes",
                "  ConnectTimeout 10",
                ""));
        // sshd wants its privilege separation directory in /run, which is the machine's own tmpfs.
        ProcessBuilder builder = new ProcessBuilder("nsenter", "--target", String.valueOf(machine.pid()), "--mount", "--",
                "/bin/sh", "-c", "mkdir -p /run/sshd && exec " + SSHD + " -D -e -f " + directory.resolve("sshd_config"))
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("sshd.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Process server = builder.start();
        SshHost host = new SshHost(directory, address, port, server);
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (!accepts(address, port)) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                host.close();
                throw new IllegalStateException("sshd on " + address + ":" + port + " did not start: "
                        + Processes.tail(directory.resolve("sshd.log"), 20));
            }
            Thread.sleep(20);
        }
        return host;
    }

    /** The destination as a beckon target's {@code host}: {@code user@address:port}. */
    public String destination() {
        return System.getProperty("user.name") + "@" + address + ":" + port;
    }

    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    /** The client configuration that trusts this host's key and logs in with the key made for it. */
    public Path clientConfig() {
        return directory.resolve("ssh_config");
    }

    /** The ssh command line that reaches this host, as {@code BECKON_SSH_COMMAND} takes it. */
    public String sshCommand() {
        return "ssh -F " + clientConfig();
    }

    /**
     * One client configuration for several hosts, each with its own key and known host key, as
     * {@code ssh -F FILE} takes it.
     */
    public static Path clientConfig(Path file, List<SshHost> hosts) throws IOException {
        StringBuilder config = new StringBuilder();
        for (SshHost host : hosts) {
            config.append("Host ").append(host.address()).append('\n')
                    .append(Files.readString(host.clientConfig()).replaceFirst("^Host \\*\n", ""));
        }
        Files.writeString(file, config.toString());
        return file;
    }

    private static void keygen(Path key) throws IOException, InterruptedException {
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "beckon-test", "-f", key.toString())
                .redirectErrorStream(true).start();
        String output = new String(keygen.getInputStream().readAllBytes());
        if (keygen.waitFor() != 0) {
            throw new IllegalStateException("ssh-keygen failed: " + output);
        }
    }

    private static int freePort(String address) throws IOException {
        return FreePorts.on(address);
    }

    private static boolean accepts(String address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the server; the sessions it started are its children, and stop with the machine. */
    @Override
    public void close() {
        Set<Long> pids = new TreeSet<>();
        pids.add(server.pid());
        server.toHandle().descendants().forEach(d -> pids.add(d.pid()));
        Processes.killAll(pids);
    }
}
