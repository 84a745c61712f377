package dev.beckon.bench;

import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Connections refused while an always-on service is upgraded, with a client connecting again and again
 * as fast as it can: the hello-world example's server deployed by beckon with its listener held by
 * systemd ({@code [services.X.sockets]}), upgraded by {@code beckon deploy}; against the same server
 * binding its own port, restarted with a plain {@code systemctl restart}, as any upgrade of it must.
 */
final class UpgradeRefusalBenchmark {
    static final String HELD = "beckon deploy, socket held by systemd";
    static final String OWN = "systemctl restart, server binds its own port";

    /** What the client saw during the changes of one variant. */
    record Counts(int changes, int connections, int answered, int refused, int reset, int unanswered) {}

    record Result(Map<String, Counts> variants) {}

    private final Path work;
    private final Path helloServer;
    private final BeckonCli beckon;
    private final int changes;

    UpgradeRefusalBenchmark(Path work, Path helloServer, BeckonCli beckon, int changes) {
        this.work = work;
        this.helloServer = helloServer;
        this.beckon = beckon;
        this.changes = changes;
    }

    Result run() throws IOException, InterruptedException {
        Map<String, Counts> variants = new LinkedHashMap<>();
        try (SystemdUserManager systemd = SystemdUserManager.start(work.resolve("sandbox"))) {
            List<Integer> ports = Sockets.freePorts(2);
            Path model = Files.createDirectories(work.resolve("model"));
            String home = work.resolve("home").toString();
            Files.writeString(model.resolve("infrastructure.toml"), HelloModels.infrastructure(systemd, work.resolve("state")));
            Files.writeString(model.resolve("distribution.toml"), "held = [\"local\"]\nown = [\"local\"]\n");
            writeServices(model, ports, 0);
            deploy(model, home);

            Load held = new Load();
            for (int change = 1; change <= changes; change++) {
                writeServices(model, ports, change);
                held.during(ports.get(0), () -> deploy(model, home));
            }
            variants.put(HELD, held.counts(changes));
            System.out.println("  " + HELD + ": " + held.counts(changes));

            Load own = new Load();
            for (int change = 1; change <= changes; change++) {
                own.during(ports.get(1), () -> {
                    var restart = systemd.systemctl("restart", "beckon-default-own.service");
                    if (restart.exitCode() != 0) {
                        throw new IOException("systemctl restart failed: " + restart);
                    }
                });
            }
            variants.put(OWN, own.counts(changes));
            System.out.println("  " + OWN + ": " + own.counts(changes));
        }
        return new Result(variants);
    }

    private void deploy(Path model, String home) throws IOException {
        Command.Result run = beckon.run("deploy", model.toString(), "--home", home);
        if (run.exitCode() != 0) {
            throw new IOException("beckon deploy failed: " + run);
        }
    }

    /** Both services always on; {@code held} gets a new greeting (a new version) each time. */
    private void writeServices(Path model, List<Integer> ports, int version) throws IOException {
        String exec = "exec = [\"java\", " + HelloModels.JVM_OPTIONS + ", \"-jar\", \"{package}/hello-server.jar\", \"--greeting\", ";
        Files.writeString(model.resolve("services.toml"), "[services.held]\ntype = \"systemd-unit\"\npackage = \"" + helloServer + "\"\n"
                + exec + "\"hello v" + version + "\"]\nports = { greeting = " + ports.get(0) + " }\n"
                + "[services.held.sockets]\nlisten = [\"127.0.0.1:{ports.greeting}\"]\n\n"
                + "[services.own]\ntype = \"systemd-unit\"\npackage = \"" + helloServer + "\"\n"
                + exec + "\"hello\", \"--port\", \"{ports.greeting}\"]\nports = { greeting = " + ports.get(1) + " }\n");
    }

    interface Change {
        void run() throws IOException;
    }

    /** One client thread connecting one connection after the other while a change runs; counted by how each ended. */
    private static final class Load {
        private int connections;
        private int answered;
        private int refused;
        private int reset;
        private int unanswered;

        void during(int port, Change change) throws IOException, InterruptedException {
            AtomicBoolean done = new AtomicBoolean();
            Thread client = new Thread(() -> {
                while (!done.get()) {
                    connect(port);
                }
            }, "looping client");
            client.start();
            try {
                change.run();
                // What the change left behind is tried too.
                Thread.sleep(300);
            } finally {
                done.set(true);
                client.join();
            }
        }

        private void connect(int port) {
            connections++;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                socket.setSoTimeout(10_000);
                String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (text.endsWith("\n")) {
                    answered++;
                } else {
                    unanswered++;
                }
            } catch (ConnectException e) {
                refused++;
            } catch (java.net.SocketTimeoutException e) {
                unanswered++;
            } catch (SocketException e) {
                reset++;
            } catch (IOException e) {
                unanswered++;
            }
        }

        Counts counts(int changes) {
            return new Counts(changes, connections, answered, refused, reset, unanswered);
        }
    }
}
