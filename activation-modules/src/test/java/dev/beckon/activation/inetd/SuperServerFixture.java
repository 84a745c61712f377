package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.sandbox.InetdDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

/**
 * A real openbsd-inetd or xinetd on a configuration of the test's own, with a foreign service of the
 * administrator's that beckon must leave alone, and instances for the module under test. Closing it
 * stops the daemon and every server it started.
 */
final class SuperServerFixture implements AutoCloseable {
    final ActivationModule module;
    final InetdDaemon daemon;
    final Path stateDirectory;
    /** inetd: the configuration file; xinetd: the include directory. */
    final Path entries;
    /** A port the administrator's own entry serves ("foreign"), which no beckon operation may disturb. */
    final int foreignPort;
    /** The administrator's content: inetd.conf as it was before beckon, or the foreign file in xinetd.d. */
    final String foreignContent;
    final Path foreignFile;

    private SuperServerFixture(ActivationModule module, InetdDaemon daemon, Path stateDirectory, Path entries, int foreignPort,
            String foreignContent, Path foreignFile) {
        this.module = module;
        this.daemon = daemon;
        this.stateDirectory = stateDirectory;
        this.entries = entries;
        this.foreignPort = foreignPort;
        this.foreignContent = foreignContent;
        this.foreignFile = foreignFile;
    }

    /**
     * openbsd-inetd whose inetd.conf holds lines of its own before and after where beckon's block goes:
     * comments, a tab-separated entry, odd spacing, and no newline at the very end.
     */
    static SuperServerFixture inetd(Path directory) throws IOException {
        int foreignPort = TestServices.freePort();
        Path config = directory.resolve("inetd.conf");
        String foreign = "# inetd.conf of the administrator\n"
                + "#   keep:  'quotes' \"double\" $HOME `tick` \\ backslash\n"
                + "\n"
                + "127.0.0.1:" + foreignPort + "\tstream\ttcp\tnowait\troot\t/bin/echo\techo foreign   service  \n"
                + "# a last comment without a newline";
        Files.writeString(config, foreign);
        InetdDaemon daemon = InetdDaemon.openbsdInetd(config, directory.resolve("daemon"));
        return new SuperServerFixture(new InetdModule(), daemon, directory.resolve("state"), config, foreignPort, foreign, config);
    }

    /** xinetd with {@code defaults {}} and {@code includedir}, and a foreign service file there. */
    static SuperServerFixture xinetd(Path directory) throws IOException {
        int foreignPort = TestServices.freePort();
        Path include = Files.createDirectories(directory.resolve("xinetd.d"));
        String foreign = """
                # the administrator's own service
                service foreign
                {
                    type        = UNLISTED
                    port        = %d
                    bind        = 127.0.0.1
                    socket_type = stream
                    protocol    = tcp
                    wait        = no
                    user        = root
                    server      = /bin/echo
                    server_args = foreign service
                }
                """.formatted(foreignPort);
        Path foreignFile = include.resolve("foreign");
        Files.writeString(foreignFile, foreign);
        Path config = directory.resolve("xinetd.conf");
        Files.writeString(config, "defaults\n{\n}\nincludedir " + include + "\n");
        InetdDaemon daemon = InetdDaemon.xinetd(config, directory.resolve("daemon"));
        return new SuperServerFixture(new XinetdModule(), daemon, directory.resolve("state"), include, foreignPort, foreign, foreignFile);
    }

    boolean isInetd() {
        return module instanceof InetdModule;
    }

    TargetContainer container() {
        return new TargetContainer("local", module.type(), new TreeMap<>(settings()), stateDirectory);
    }

    private Map<String, String> settings() {
        return isInetd() ? Map.of("config", entries.toString(), "pid-file", daemon.pidFile().toString())
                : Map.of("directory", entries.toString(), "pid-file", daemon.pidFile().toString());
    }

    ModuleSession open() throws ActivationException {
        return module.open(container());
    }

    /** An on-demand greeting service on 127.0.0.1:port. */
    ServiceInstance greeter(String profile, String service, int port, String greeting, Duration idle, boolean accept) {
        return instance(profile, service, TestServices.javaCommand(GreetingServer.class, greeting), Map.of(), port, idle, accept);
    }

    ServiceInstance instance(String profile, String service, List<String> exec, Map<String, String> environment, int port,
            Duration idle, boolean accept) {
        // The instance directory holds a hash of everything in the instance, as the planner names it.
        String hash = Integer.toHexString((profile + service + exec + environment + port + idle + accept).hashCode());
        return new ServiceInstance(profile, service, "local", module.type(), "test service " + service, exec,
                new TreeMap<>(environment), new TreeMap<>(Map.of("main", port)),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), port)), idle, accept)),
                Optional.empty(), stateDirectory.resolve("store").resolve(hash + "-" + service), new TreeMap<>(settings()), stateDirectory);
    }

    /** What the file holding the instance's entry contains now. */
    String entriesText(ServiceInstance instance) throws IOException {
        Path file = isInetd() ? entries : entries.resolve("beckon-" + instance.profile() + "-" + instance.service());
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    Path entryFile(ServiceInstance instance) {
        return isInetd() ? entries : entries.resolve("beckon-" + instance.profile() + "-" + instance.service());
    }

    /** Whether anything listens on 127.0.0.1:port, as the kernel says; looking starts no server. */
    static boolean listens(int port) throws IOException {
        return TcpListeners.read().stream().anyMatch(l -> l.port() == port);
    }

    /** The daemon's servers that run a launcher of this fixture's state directory. */
    Set<Long> servers() {
        return new TreeSet<>(daemon.servers());
    }

    Path launcher(ServiceInstance instance) {
        return Launcher.path(instance);
    }

    /** Waits for a condition, up to the limit; returns whether it came. */
    static boolean await(BooleanSupplier condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        daemon.close();
    }
}
