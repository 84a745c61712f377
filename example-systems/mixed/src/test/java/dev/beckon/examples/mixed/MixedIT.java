package dev.beckon.examples.mixed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import dev.beckon.sandbox.InetdDaemon;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mixed example as a user meets it: six services on two targets of this machine, deployed by
 * beckon through every kind of activation module into a real systemd user manager, openbsd-inetd,
 * xinetd and the example's own shell module; then status, a failing change undone, an upgrade rolled
 * back, and removal.
 */
@ExtendWith(SystemdSandboxExtension.class)
class MixedIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();
    private static final String FRONT = "127.0.0.2";
    private static final String BACK = "127.0.0.3";
    private static final int GREETER = 18101;
    private static final int MOTD = 18102;
    private static final int TALLY = 18103;
    private static final int COUNTER = 18104;
    private static final int RELAY = 18105;
    /** Where the failing change moves the tally: a port this test holds, so the new version cannot bind it. */
    private static final int BUSY = 18113;
    private static final Duration IDLE_WAIT = Duration.ofSeconds(20);

    private static final String GREETING = "hello from the greeter on back\n";
    private static final String MESSAGE = "message of the day on front: all systems go\n";
    private static final Map<String, String> UPGRADE = Map.of(
            "hello from the greeter on {target.name}", "hello again from the greeter on {target.name}",
            "message of the day on {target.name}: all systems go", "message of the day on {target.name}: upgraded",
            "\"the counter on {target.name}\"", "\"the new counter on {target.name}\"",
            "\"the tally on {target.name}\"", "\"the new tally on {target.name}\"");

    @Test
    void theModelPlacesEveryKindOfModuleOnTwoTargetsOfThisMachine() throws Exception {
        SystemModel model = ModelLoader.load(EXAMPLE);
        Map<String, String> types = new TreeMap<>();
        for (InstanceSpec instance : model.instances()) {
            types.put(instance.id(), instance.service().type() + (instance.service().onDemand().isPresent() ? " on demand" : ""));
        }
        assertEquals(Map.of(
                "counter@back", "systemd-unit",
                "gateway@front", "systemd-unit on demand",
                "greeter@back", "systemd-unit on demand",
                "motd@front", "inetd on demand",
                "relay@back", "xinetd on demand",
                "tally@front", "tcp-daemon"), types);
        assertEquals(FRONT, model.targets().get("front").hostname());
        assertEquals(BACK, model.targets().get("back").hostname());
        assertTrue(Files.isExecutable(EXAMPLE.resolve("modules/tcp-daemon")), "the external module is an executable script");
    }

    @Test
    void startedByHandTheVisitCounterListensWhereItIsToldAndCounts(@TempDir Path dir) throws Exception {
        int port = freePort();
        Process counter = new ProcessBuilder("java", "-jar", EXAMPLE.resolve("target/visit-counter/visit-counter.jar").toString(),
                "--listen", "127.0.0.1:" + port, "--name", "the test")
                .redirectErrorStream(true).redirectOutput(dir.resolve("counter.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            String first = null;
            while (first == null) {
                try {
                    first = ask("127.0.0.1", port);
                } catch (IOException notYet) {
                    assertTrue(counter.isAlive() && System.nanoTime() < deadline, "the counter did not listen: " + notYet);
                    Thread.sleep(50);
                }
            }
            assertEquals("visit 1 to the test\n", first, "a connection that was refused is no visit");
            assertEquals("visit 2 to the test\n", ask("127.0.0.1", port));
        } finally {
            counter.destroyForcibly().waitFor();
        }
    }

    @Test
    void deployedOnTwoTargetsItAnswersEverywhereUndoesAFailingChangeRollsBackAndGoesAway(SystemdUserManager systemd,
            @TempDir Path dir) throws Exception {
        Path base = Files.createDirectories(dir.resolve("beckon-mixed"));
        Path frontState = base.resolve("front");
        Path backState = base.resolve("back");
        Path socket = base.resolve("sockets/gateway.sock");

        // The machine's inetd.conf and xinetd.d, in miniature: the administrator's own lines, which beckon must leave alone.
        Path inetdConfig = dir.resolve("inetd/inetd.conf");
        Files.createDirectories(inetdConfig.getParent());
        String inetdBefore = "# the administrator's inetd.conf\n127.0.0.1:" + freePort() + "\tstream\ttcp\tnowait\troot\t/bin/echo\techo admin\n";
        Files.writeString(inetdConfig, inetdBefore);
        Path xinetdDirectory = Files.createDirectories(dir.resolve("xinetd/xinetd.d"));
        // xinetd does not start without a service; this one is the administrator's.
        Files.writeString(xinetdDirectory.resolve("admin"), """
                service admin
                {
                    type        = UNLISTED
                    port        = %d
                    bind        = 127.0.0.1
                    socket_type = stream
                    protocol    = tcp
                    wait        = no
                    user        = root
                    server      = /bin/echo
                    server_args = admin
                }
                """.formatted(freePort()));
        Path xinetdConfig = dir.resolve("xinetd/xinetd.conf");
        Files.writeString(xinetdConfig, "defaults\n{\n}\nincludedir " + xinetdDirectory + "\n");

        Path model = Files.createDirectories(dir.resolve("model"));
        Path home = dir.resolve("home");
        Set<Long> started = new TreeSet<>();
        try (InetdDaemon inetd = InetdDaemon.openbsdInetd(inetdConfig, dir.resolve("inetd"));
                InetdDaemon xinetd = InetdDaemon.xinetd(xinetdConfig, dir.resolve("xinetd"))) {
            started.add(inetd.pid());
            started.add(xinetd.pid());
            Path infrastructure = writeInfrastructure(model, base, dir.resolve("run"), inetdConfig, inetd, xinetdDirectory, xinetd, systemd);
            // The external module, found in the target's STATE_DIR/modules (BECKON_MODULE_PATH would do too).
            Path module = Files.createDirectories(frontState.resolve("modules")).resolve("tcp-daemon");
            Files.copy(EXAMPLE.resolve("modules/tcp-daemon"), module);
            Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
            Beckon beckon = new Beckon(home, infrastructure);

            // The model as it is checked in, on the test's daemons.
            String[] first = beckon.deploy(EXAMPLE.resolve("services.toml"), EXAMPLE.resolve("distribution.toml"), "the mixed system");
            assertEquals("0", first[0], first[1] + first[2]);
            assertBefore(first[1], "+ greeter  activated", "+ gateway  activated");
            assertBefore(first[1], "+ tally  activated", "+ relay  activated");

            // On demand: listening, and no process before the first connection.
            assertEquals("active", show(systemd, "beckon-default-greeter.socket", "ActiveState"));
            assertEquals("active", show(systemd, "beckon-default-gateway.socket", "ActiveState"));
            assertEquals("inactive", show(systemd, "beckon-default-greeter.service", "ActiveState"));
            assertEquals("inactive", show(systemd, "beckon-default-gateway.service", "ActiveState"));
            assertEquals(Set.of(), inetd.servers(), "inetd started a server before any connection");
            assertEquals(Set.of(), xinetd.servers(), "xinetd started a server before any connection");
            // Always on: running before anyone asks.
            assertEquals("active", show(systemd, "beckon-default-counter.service", "ActiveState"));
            long tallyPid = Long.parseLong(Files.readString(dir.resolve("run/default-tally.pid")).strip());
            assertTrue(ProcessHandle.of(tallyPid).map(ProcessHandle::isAlive).orElse(false), "the tally runs");

            Map<String, String> expected = new TreeMap<>(Map.of(
                    "counter@back", "running", "greeter@back", "listening", "relay@back", "listening",
                    "gateway@front", "listening", "motd@front", "listening", "tally@front", "running"));
            assertStatus(beckon, expected);
            String[] again = beckon.plan(EXAMPLE.resolve("services.toml"), EXAMPLE.resolve("distribution.toml"));
            assertEquals("0", again[0], again[1] + again[2]);
            assertTrue(again[1].contains("No changes."), "what runs is what was deployed:\n" + again[1]);

            // Every service answers through its own listener, on its own target's address only.
            assertEquals(GREETING, ask(BACK, GREETER), journal(systemd));
            assertEquals("active", show(systemd, "beckon-default-greeter.service", "ActiveState"), "the connection started the greeter");
            assertEquals(GREETING, askUnix(socket), "the gateway relays its Unix socket to the greeter on back");
            assertEquals("active", show(systemd, "beckon-default-gateway.service", "ActiveState"), "the connection started the gateway");
            assertEquals(MESSAGE, ask(FRONT, MOTD), inetd.log().orElse(""));
            assertFalse(inetd.servers().isEmpty(), "the connection started an inetd server, which waits for more until idle");
            assertVisit("the tally on front", 1, ask(FRONT, TALLY));
            assertVisit("the counter on back", 1, ask(BACK, COUNTER));
            assertVisit("the tally on front", 2, ask(BACK, RELAY));
            assertFalse(xinetd.servers().isEmpty(), "the connection started an xinetd server, which waits for more until idle");
            for (int port : List.of(GREETER, MOTD, TALLY, COUNTER, RELAY)) {
                assertFalse(listening("127.0.0.1", port), "port " + port + " is open on 127.0.0.1, not only on its target's address");
            }

            // A failing change: new versions everywhere, and a tally that cannot bind its new port.
            awaitIdle(systemd, inetd, xinetd);
            SortedMap<String, String> before = snapshot(frontState, backState, systemd.unitDirectory(), inetdConfig, xinetdDirectory);
            Map<String, String> failing = new LinkedHashMap<>(UPGRADE);
            failing.put("visits = " + TALLY, "visits = " + BUSY);
            String[] failed;
            try (ServerSocket busy = new ServerSocket()) {
                busy.bind(new InetSocketAddress(FRONT, BUSY));
                failed = beckon.deploy(services(model, "failing", failing), EXAMPLE.resolve("distribution.toml"), "a tally on a busy port");
            }
            assertEquals("1", failed[0], failed[1] + failed[2]);
            assertTrue(failed[1].contains("Deployment failed and was undone"), failed[1]);
            assertTrue((failed[1] + failed[2]).contains("Address already in use"), "the tally's own words reach the user:\n"
                    + failed[1] + failed[2]);
            // The two targets change in parallel: how far back got before tally failed on front is not fixed, only that
            // the undo begins after every step that ran has ended.
            assertBefore(failed[1], "~ tally  FAILED", "Putting back what was done");
            String forward = failed[1].substring(0, failed[1].indexOf("Putting back what was done"));
            assertFalse(failed[1].substring(forward.length()).matches("(?s).*  (activated|changed|deactivated)  .*"),
                    "a step of the deployment ran during its undo:\n" + failed[1]);
            assertEquals(List.of(), differences(before, snapshot(frontState, backState, systemd.unitDirectory(), inetdConfig,
                    xinetdDirectory)), "the failed deployment left the targets changed");
            assertEquals(GREETING, ask(BACK, GREETER));
            assertEquals(GREETING, askUnix(socket));
            assertEquals(MESSAGE, ask(FRONT, MOTD));
            assertVisit("the counter on back", null, ask(BACK, COUNTER));
            assertVisit("the tally on front", null, ask(FRONT, TALLY));
            assertVisit("the tally on front", null, ask(BACK, RELAY));
            assertStatus(beckon, expectedAfterUse(expected));
            assertEquals(List.of(List.of("*", "1")), generations(beckon), "a failed deployment is no generation");

            // An upgrade, then a rollback to the first generation.
            String[] upgraded = beckon.deploy(services(model, "upgraded", UPGRADE), EXAMPLE.resolve("distribution.toml"), "upgrade");
            assertEquals("0", upgraded[0], upgraded[1] + upgraded[2]);
            assertEquals("hello again from the greeter on back\n", ask(BACK, GREETER));
            assertEquals("hello again from the greeter on back\n", askUnix(socket));
            assertEquals("message of the day on front: upgraded\n", ask(FRONT, MOTD));
            assertVisit("the new counter on back", null, ask(BACK, COUNTER));
            assertVisit("the new tally on front", null, ask(FRONT, TALLY));
            assertVisit("the new tally on front", null, ask(BACK, RELAY));

            String[] rolledBack = beckon.run("rollback");
            assertEquals("0", rolledBack[0], rolledBack[1] + rolledBack[2]);
            assertEquals(GREETING, ask(BACK, GREETER));
            assertEquals(GREETING, askUnix(socket));
            assertEquals(MESSAGE, ask(FRONT, MOTD));
            assertVisit("the counter on back", null, ask(BACK, COUNTER));
            assertVisit("the tally on front", null, ask(FRONT, TALLY));
            assertVisit("the tally on front", null, ask(BACK, RELAY));
            assertEquals(List.of(List.of("*", "1"), List.of("2")), generations(beckon), "generation 1 is current again");
            assertStatus(beckon, expectedAfterUse(expected));

            // gc drops generation 2 and what only it used; generation 1 keeps running, whole.
            String[] dryRun = beckon.run("gc", "--keep", "0", "--dry-run");
            assertEquals("0", dryRun[0], dryRun[1] + dryRun[2]);
            assertTrue(dryRun[1].contains("Dry run: nothing was changed."), dryRun[1]);
            assertEquals(List.of(List.of("*", "1"), List.of("2")), generations(beckon), "a dry run drops nothing");
            String[] collected = beckon.run("gc", "--keep", "0");
            assertEquals("0", collected[0], collected[1] + collected[2]);
            assertTrue(collected[1].contains("Freed "), collected[1]);
            assertEquals(List.of(List.of("*", "1")), generations(beckon), "only the current generation is kept");
            assertEquals(GREETING, ask(BACK, GREETER));
            assertEquals(GREETING, askUnix(socket));
            assertEquals(MESSAGE, ask(FRONT, MOTD));
            assertVisit("the tally on front", null, ask(BACK, RELAY));
            assertStatus(beckon, expectedAfterUse(expected));
            String[] noChanges = beckon.plan(EXAMPLE.resolve("services.toml"), EXAMPLE.resolve("distribution.toml"));
            assertTrue(noChanges[1].startsWith("No changes."), "gc removed nothing the current generation uses: " + noChanges[1]);

            // An empty distribution removes everything.
            Path nothing = Files.writeString(model.resolve("distribution-empty.toml"), "");
            String[] removed = beckon.deploy(EXAMPLE.resolve("services.toml"), nothing, "nothing");
            assertEquals("0", removed[0], removed[1] + removed[2]);
            assertBefore(removed[1], "- relay  deactivated", "- tally  deactivated");
            assertBefore(removed[1], "- gateway  deactivated", "- greeter  deactivated");
            try (Stream<Path> units = Files.list(systemd.unitDirectory())) {
                assertEquals(List.of(), units.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList());
            }
            try (Stream<Path> wants = Files.walk(systemd.unitDirectory())) {
                assertEquals(List.of(), wants.filter(p -> p.getFileName().toString().startsWith("beckon-")).toList(), "links are gone");
            }
            assertEquals(inetdBefore, Files.readString(inetdConfig), "inetd.conf is the administrator's again, byte for byte");
            try (Stream<Path> files = Files.list(xinetdDirectory)) {
                assertEquals(List.of(xinetdDirectory.resolve("admin")), files.toList());
            }
            assertFalse(Files.exists(dir.resolve("run/default-tally.pid")), "the tally's pid file is gone");
            assertTrue(await(() -> launchedUnder(dir).isEmpty(), Duration.ofSeconds(10)),
                    "processes of beckon's launchers still run: " + launchedUnder(dir));
            assertEquals(List.of(), javaProcesses(systemd.processes()), "a service still runs in the systemd sandbox");
            Map.of(GREETER, BACK, MOTD, FRONT, TALLY, FRONT, COUNTER, BACK, RELAY, BACK).forEach((port, host) ->
                    assertFalse(listening(host, port), "something still listens on " + host + ":" + port));
            assertFalse(answersUnix(socket), "the gateway's socket still answers");
            assertStatusText(beckon, "0 instances");
        } finally {
            // The daemons are closed by now (with their servers); what the tcp-daemon module started is not theirs.
            Set<Long> leftovers = launchedUnder(dir);
            leftovers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            started.addAll(leftovers);
            await(() -> started.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)),
                    Duration.ofSeconds(10));
        }
        assertEquals(List.of(), started.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList(),
                "processes the test started still run");
    }

    // ---- the model -------------------------------------------------------------------------------------------------

    /**
     * The checked-in infrastructure.toml, pointed at this test's daemons and directories: the same targets,
     * addresses and containers, with each machine path replaced.
     */
    private static Path writeInfrastructure(Path model, Path base, Path run, Path inetdConfig, InetdDaemon inetd,
            Path xinetdDirectory, InetdDaemon xinetd, SystemdUserManager systemd) throws IOException {
        String text = Files.readString(EXAMPLE.resolve("infrastructure.toml"));
        text = replace(text, "\"/var/lib/beckon-mixed/", "\"" + base + "/");
        text = replace(text, "\"/run/beckon-mixed\"", "\"" + run + "\"");
        text = replace(text, "\"/etc/inetd.conf\"", "\"" + inetdConfig + "\"");
        text = replace(text, "\"/run/inetd.pid\"", "\"" + inetd.pidFile() + "\"");
        text = replace(text, "\"/etc/xinetd.d\"", "\"" + xinetdDirectory + "\"");
        text = replace(text, "\"/run/xinetd.pid\"", "\"" + xinetd.pidFile() + "\"");
        text = replace(text, "scope = \"user\"\n", "scope = \"user\"\nbus = \"" + systemd.busAddress() + "\"\njournal-directory = \""
                + systemd.journalDirectory() + "\"\n");
        return Files.writeString(model.resolve("infrastructure.toml"), text);
    }

    /** The checked-in services.toml with its packages as absolute paths, and the given replacements made. */
    private static Path services(Path model, String name, Map<String, String> replacements) throws IOException {
        String text = Files.readString(EXAMPLE.resolve("services.toml"));
        Matcher packages = Pattern.compile("package = \"([^\"]+)\"").matcher(text);
        text = packages.replaceAll(m -> Matcher.quoteReplacement("package = \"" + EXAMPLE.resolve(m.group(1)).normalize() + "\""));
        for (Map.Entry<String, String> replacement : replacements.entrySet()) {
            text = replace(text, replacement.getKey(), replacement.getValue());
        }
        return Files.writeString(model.resolve("services-" + name + ".toml"), text);
    }

    private static String replace(String text, String what, String with) {
        assertTrue(text.contains(what), "the example's model no longer holds " + what);
        return text.replace(what, with);
    }

    // ---- the command line ------------------------------------------------------------------------------------------

    /** bin/beckon, the command users run, as a process, on the test's profile home and infrastructure. */
    private record Beckon(Path home, Path infrastructure) {
        String[] deploy(Path services, Path distribution, String message) {
            return run("deploy", "--services", services.toString(), "--infrastructure", infrastructure.toString(),
                    "--distribution", distribution.toString(), "-m", message);
        }

        String[] plan(Path services, Path distribution) {
            return run("plan", "--services", services.toString(), "--infrastructure", infrastructure.toString(),
                    "--distribution", distribution.toString());
        }

        String[] run(String... args) {
            String[] withHome = Stream.concat(Stream.of(args), Stream.of("--home", home.toString())).toArray(String[]::new);
            BeckonProcess.Run run = BeckonProcess.withEnvironment(Map.of()).run(withHome);
            return new String[] {String.valueOf(run.exitCode()), run.out(), run.err()};
        }
    }

    /** What {@code beckon status} says, as text and as JSON, is exactly {@code expected}, and it exits 0. */
    private static void assertStatus(Beckon beckon, Map<String, String> expected) throws IOException {
        String[] text = beckon.run("status");
        assertEquals("0", text[0], text[1] + text[2]);
        Map<String, String> states = new TreeMap<>();
        String target = null;
        for (String line : text[1].split("\n")) {
            if (line.startsWith("target ")) {
                target = line.substring("target ".length());
            } else if (line.startsWith("  ") && target != null) {
                String[] words = line.strip().split("\\s+");
                states.put(words[0] + "@" + target, words[1]);
            }
        }
        assertStateMatches(expected, states, text[1]);
        assertTrue(text[1].endsWith(expected.size() + " instances: " + expected.size() + " as deployed.\n"), text[1]);

        String[] json = beckon.run("status", "--json");
        assertEquals("0", json[0], json[1] + json[2]);
        Map<String, String> jsonStates = new TreeMap<>();
        for (JsonNode instance : new ObjectMapper().readTree(json[1]).get("instances")) {
            assertTrue(instance.get("as_deployed").asBoolean(), json[1]);
            jsonStates.put(instance.get("service").asText() + "@" + instance.get("target").asText(), instance.get("state").asText());
        }
        assertStateMatches(expected, jsonStates, json[1]);
    }

    /** An expected state of "listening" also admits "running": a connection may have started the service. */
    private static void assertStateMatches(Map<String, String> expected, Map<String, String> actual, String output) {
        assertEquals(expected.keySet(), actual.keySet(), output);
        expected.forEach((instance, state) -> assertTrue(Set.of(state.split("\\|")).contains(actual.get(instance)),
                instance + " is " + actual.get(instance) + ", not " + state + ":\n" + output));
    }

    private static Map<String, String> expectedAfterUse(Map<String, String> expected) {
        Map<String, String> relaxed = new TreeMap<>();
        expected.forEach((instance, state) -> relaxed.put(instance, state.equals("listening") ? "listening|running" : state));
        return relaxed;
    }

    private static void assertStatusText(Beckon beckon, String contains) {
        String[] status = beckon.run("status");
        assertEquals("0", status[0], status[1] + status[2]);
        assertTrue(status[1].contains(contains), status[1]);
    }

    /** The rows of {@code beckon generations}: a leading "*" for the current one, then its number. */
    private static List<List<String>> generations(Beckon beckon) {
        String[] list = beckon.run("generations");
        assertEquals("0", list[0], list[1] + list[2]);
        return list[1].lines().map(line -> {
            String[] words = line.strip().split("\\s+");
            return words[0].equals("*") ? List.of("*", words[1]) : List.of(words[0]);
        }).toList();
    }

    private static void assertBefore(String output, String first, String second) {
        assertTrue(output.contains(first) && output.contains(second) && output.indexOf(first) < output.indexOf(second),
                "\"" + first + "\" should come before \"" + second + "\" in:\n" + output);
    }

    // ---- the listeners ---------------------------------------------------------------------------------------------

    private static final Pattern VISIT = Pattern.compile("visit (\\d+) to (.*)\n");

    /** A visit counter's answer: {@code visit N to NAME}; {@code number} null when any count will do. */
    private static void assertVisit(String name, Integer number, String answer) {
        Matcher visit = VISIT.matcher(answer);
        assertTrue(visit.matches(), "not a visit counter's answer: " + answer);
        assertEquals(name, visit.group(2), answer);
        if (number != null) {
            assertEquals(number, Integer.valueOf(visit.group(1)), answer);
        }
    }

    private static String ask(String host, int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(30_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String askUnix(Path socket) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static boolean answersUnix(Path socket) {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return channel.read(ByteBuffer.allocate(1)) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        return dev.beckon.sandbox.FreePorts.onLoopback();
    }

    // ---- the machine -----------------------------------------------------------------------------------------------

    /** Waits until every on-demand service has ended itself, so that nothing runs that could write while we compare. */
    private static void awaitIdle(SystemdUserManager systemd, InetdDaemon inetd, InetdDaemon xinetd) {
        BooleanSupplier idle = () -> show(systemd, "beckon-default-greeter.service", "ActiveState").equals("inactive")
                && show(systemd, "beckon-default-gateway.service", "ActiveState").equals("inactive")
                && inetd.servers().isEmpty() && xinetd.servers().isEmpty();
        assertTrue(await(idle, IDLE_WAIT), "the on-demand services did not end themselves within " + IDLE_WAIT.toSeconds() + " s");
    }

    /**
     * Every file and directory under the roots: its type, permissions and, for a file, a digest of its bytes
     * (symbolic links: where they point).
     */
    private static SortedMap<String, String> snapshot(Path... roots) throws IOException {
        SortedMap<String, String> entries = new TreeMap<>();
        for (Path root : roots) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.toList()) {
                    String what;
                    if (Files.isSymbolicLink(path)) {
                        what = "link to " + Files.readSymbolicLink(path);
                    } else {
                        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
                        what = Files.isDirectory(path) ? "directory " + mode
                                : Files.isRegularFile(path) ? "file " + mode + " " + sha256(Files.readAllBytes(path))
                                : "other " + mode;
                    }
                    entries.put(path.toString(), what);
                }
            }
        }
        return entries;
    }

    /** What differs between two snapshots, one line per path. */
    private static List<String> differences(SortedMap<String, String> before, SortedMap<String, String> after) {
        Set<String> paths = new TreeSet<>(before.keySet());
        paths.addAll(after.keySet());
        return paths.stream().filter(path -> !Objects.equals(before.get(path), after.get(path)))
                .map(path -> path + ": " + before.getOrDefault(path, "(none)") + " -> " + after.getOrDefault(path, "(none)"))
                .toList();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The processes started by one of beckon's launchers under {@code dir}: the inetd and xinetd servers and
     * what the tcp-daemon module runs, which carry {@code BECKON_LAUNCHER} in their environment.
     */
    private static Set<Long> launchedUnder(Path dir) {
        Set<Long> pids = new TreeSet<>();
        String marker = "BECKON_LAUNCHER=" + dir;
        ProcessHandle.allProcesses().forEach(process -> {
            try {
                String environment = new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "environ")),
                        StandardCharsets.UTF_8);
                if (Stream.of(environment.split("\0")).anyMatch(v -> v.startsWith(marker))) {
                    pids.add(process.pid());
                }
            } catch (IOException | SecurityException gone) {
                // Ended meanwhile, or not readable: not one of ours.
            }
        });
        return pids;
    }

    private static List<Long> javaProcesses(Set<Long> pids) {
        return pids.stream().filter(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().command())
                .filter(c -> c.endsWith("/java")).isPresent()).toList();
    }

    private static String show(SystemdUserManager systemd, String unit, String property) {
        return systemd.systemctl("show", "--property=" + property, "--value", unit).stdout().strip();
    }

    private static String journal(SystemdUserManager systemd) {
        try {
            Process journalctl = new ProcessBuilder("journalctl", "--directory=" + systemd.journalDirectory(), "--no-pager",
                    "-n", "60", "-o", "short-iso").redirectErrorStream(true).start();
            String text = new String(journalctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            journalctl.waitFor();
            return "the journal says:\n" + text;
        } catch (IOException e) {
            return "(cannot read the journal: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private static boolean await(BooleanSupplier condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
        return true;
    }
}
