package dev.beckon.activation.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.ActivationModules;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import dev.beckon.models.ListenAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External modules, called for real: the specimen module {@code background-process} (shell, in the
 * test resources) runs services as background processes; small modules written here probe the edges
 * of the protocol.
 */
class ExternalModuleTest {
    private static final String TYPE = "background-process";
    /** Characters a shell could take for syntax, and a few that are just bytes. */
    private static final List<String> HOSTILE = List.of("'", "\"", "\\", "$HOME", "`id`", "$(id)", "a\nb", " lead", "two  spaces",
            "%s%n", "*", "[a-z]*", "~", ";", "|", ">out", "#no comment", "\t", "", "-e", "'\\''", "h\u00e9llo \u2713", "end\\", "{a,b}");

    @TempDir
    Path directory;
    private Path state;
    private Path runDirectory;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void installTheModuleInTheStateDirectory() throws IOException {
        state = directory.resolve("state");
        runDirectory = directory.resolve("run");
        Path module = Files.createDirectories(state.resolve("modules")).resolve(TYPE);
        try (InputStream source = ExternalModuleTest.class.getResourceAsStream("/external-modules/" + TYPE)) {
            Files.copy(source, module);
        }
        // Resources lose their mode on the way to the class path; installing a module means making it executable.
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stopEveryProcessThisTestStarted() throws IOException {
        String marker = Launcher.MARKER_VARIABLE + "=" + directory;
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                try {
                    String environment = new String(Files.readAllBytes(process.resolve("environ")), StandardCharsets.UTF_8);
                    if (Arrays.stream(environment.split("\0")).anyMatch(v -> v.startsWith(marker))) {
                        ProcessHandle.of(Long.parseLong(process.getFileName().toString())).ifPresent(ProcessHandle::destroyForcibly);
                    }
                } catch (IOException gone) {
                    // It ended meanwhile.
                }
            }
        }
    }

    @Test
    void theShellModuleRunsTheServiceWithItsExactArgvAndEnvironmentAndStopsIt() throws Exception {
        ActivationModule module = ActivationModules.forType(TYPE, ActivationModules.modulePath(null, state));
        assertEquals(state.resolve("modules").resolve(TYPE), ((ExternalModule) module).executable());
        Path record = directory.resolve("argv");
        ServiceInstance sleeper = recordingSleeper("sleeper", record, "first");
        try (ModuleSession session = module.open(container(Map.of()))) {
            session.activate(sleeper);
            long pid = pidOf("sleeper");
            assertTrue(isAlive(pid));
            assertEquals(HOSTILE, recorded(record), "every argument arrived as the model wrote it");
            List<String> environment = environmentOf(pid);
            assertTrue(environment.contains("VERSION=first"), environment.toString());
            assertTrue(environment.contains("HOSTILE=" + String.join("\n", HOSTILE)), "a value with every kind of character");
            assertTrue(environment.stream().noneMatch(v -> v.startsWith("BECKON_CONTAINER_")), "the module's variables are not the service's");
            InstanceStatus status = session.query(sleeper);
            assertTrue(status.isHealthy(), status.toString());
            assertEquals(InstanceStatus.Activity.RUNNING, status.activity());
            assertEquals("pid " + pid + " runs", status.detail());

            session.activate(sleeper);
            assertEquals(pid, pidOf("sleeper"), "activating it again leaves it running");

            ServiceInstance upgraded = recordingSleeper("sleeper", record, "second");
            session.activate(upgraded);
            long newPid = pidOf("sleeper");
            assertNotEquals(pid, newPid);
            assertFalse(isAlive(pid), "the old version was stopped");
            assertTrue(environmentOf(newPid).contains("VERSION=second"));
            assertTrue(session.query(sleeper).drift().stream().anyMatch(d -> d.startsWith("pid " + newPid + " runs another version")),
                    "the module's own drift lines come through: " + session.query(sleeper));

            session.deactivate(upgraded);
            assertFalse(isAlive(newPid));
            assertFalse(Files.exists(runDirectory.resolve("test-sleeper.pid")));
            assertFalse(Files.exists(upgraded.instanceDirectory()), "beckon's files and the empty instance directory are gone");
            InstanceStatus gone = session.query(upgraded);
            assertEquals(InstanceStatus.Presence.MISSING, gone.presence());
            assertEquals(InstanceStatus.Activity.INACTIVE, gone.activity());
            session.deactivate(upgraded);
        }
        assertEquals(List.of(), output, "a module that succeeds quietly prints nothing");
    }

    @Test
    void theModuleGetsItsSettingsAsVariablesAndTheServicesAsFilesNeverOnItsCommandLine() throws Exception {
        Path calls = Files.createDirectories(directory.resolve("calls"));
        Path recorder = module("recorder", """
                #!/bin/sh
                printf '%s\\0' "$0" "$@" > "$BECKON_CONTAINER_CALLS/$1.argv"
                env -0 > "$BECKON_CONTAINER_CALLS/$1.env"
                if [ "$1" = query ]; then echo activity=listening; fi
                exit 0
                """);
        ServiceInstance instance = new ServiceInstance("test", "web", "local", "recorder", "serves\nthe web",
                List.of("/usr/bin/env", "web", "--token", "secret argument"), new TreeMap<>(Map.of("PASSWORD", "hunter2 'x'")),
                new TreeMap<>(Map.of("main", 18080, "admin-http", 18081)),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 18080),
                        new ListenAddress.Inet(Optional.of("::1"), 18080), new ListenAddress.Inet(Optional.empty(), 18081)),
                        Duration.ofMillis(1500), false)),
                Optional.of(state.resolve("store/abc-web.jar")), state.resolve("store/0123-web"),
                new TreeMap<>(Map.of("calls", calls.toString(), "api-token", "s3cr3t value")), state);
        ExternalModule module = new ExternalModule("recorder", recorder, output::add, Duration.ofSeconds(30));
        try (ModuleSession session = module.open(new TargetContainer("local", "recorder", instance.container(), state))) {
            session.activate(instance);
        }
        assertEquals(List.of(recorder.toString(), "activate", instance.instanceDirectory().toString()), nulSeparated(calls.resolve("activate.argv")));
        List<String> variables = nulSeparated(calls.resolve("activate.env")).stream().filter(v -> v.startsWith("BECKON_")).sorted().toList();
        assertEquals(List.of(
                "BECKON_ACCEPT=false",
                "BECKON_CONTAINER_API_TOKEN=s3cr3t value",
                "BECKON_CONTAINER_CALLS=" + calls,
                "BECKON_DESCRIPTION=serves\nthe web",
                "BECKON_IDLE_TIMEOUT=1s500ms",
                "BECKON_INSTANCE_DIR=" + instance.instanceDirectory(),
                "BECKON_LISTEN=127.0.0.1:18080 [::1]:18080 18081",
                "BECKON_ON_DEMAND=true",
                "BECKON_PACKAGE=" + state.resolve("store/abc-web.jar"),
                "BECKON_PORTS=admin-http=18081 main=18080",
                "BECKON_PORT_ADMIN_HTTP=18081",
                "BECKON_PORT_MAIN=18080",
                "BECKON_PROFILE=test",
                "BECKON_SERVICE=web",
                "BECKON_STATE_DIR=" + state,
                "BECKON_TARGET=local",
                "BECKON_TYPE=recorder"), variables);
        assertTrue(nulSeparated(calls.resolve("activate.env")).stream().noneMatch(v -> v.startsWith("PASSWORD=")),
                "the service's environment is the service's, in its files");

        // The files a shell module uses: sourced, they give back the environment and argv exactly.
        Process shell = new ProcessBuilder("/bin/sh", "-c", ". \"$1/environment.sh\"; . \"$1/argv.sh\"; printf '%s\\0' \"$PASSWORD\""
                + " \"$BECKON_IDLE_TIMEOUT\" \"$@\"", "sh", instance.instanceDirectory().toString()).start();
        List<String> sourced = List.of(new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\0"));
        assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
        assertEquals(List.of("hunter2 'x'", "1s500ms", "/usr/bin/env", "web", "--token", "secret argument"), sourced);
        assertEquals("rwx------", mode(instance.instanceDirectory().resolve("launcher")));
        assertEquals("rw-------", mode(instance.instanceDirectory().resolve("environment.sh")));
        assertEquals("rw-------", mode(instance.instanceDirectory().resolve("argv.sh")));
    }

    @Test
    void aModuleMayRefuseTheLockAndSaysWhy() throws Exception {
        ServiceInstance sleeper = recordingSleeper("sleeper", directory.resolve("argv"), "first");
        try (ModuleSession session = backgroundProcess().open(container(Map.of()))) {
            Files.createDirectories(runDirectory);
            Files.writeString(runDirectory.resolve("test-sleeper.busy"), "2 connections open\n");
            ActivationException refused = assertThrows(ActivationException.class, () -> session.lock(sleeper));
            assertEquals("sleeper@local: background-process refused to let it change now (lock exited with 1): sleeper@local is busy:"
                    + " 2 connections open", refused.getMessage());
            assertEquals(List.of("background-process lock sleeper@local: sleeper@local is busy: 2 connections open"), output,
                    "what the module says reaches the user as it says it");
            Files.delete(runDirectory.resolve("test-sleeper.busy"));
            session.lock(sleeper);
            session.unlock(sleeper);
        }
    }

    @Test
    void aLockThatAnswersNotNowIsAskedAgainUntilItsLockTimeout() throws Exception {
        Path vetoes = directory.resolve("vetoes");
        ExternalModule draining = new ExternalModule("draining", module("draining", """
                #!/bin/sh
                [ "$1" = lock ] || exit 0
                n=$(cat '%1$s')
                if [ "$n" = always ] || [ "$n" -gt 0 ]; then
                    [ "$n" = always ] || echo $((n - 1)) > '%1$s'
                    echo "draining, $n to go" >&2; exit 75
                fi
                exit 0
                """.formatted(vetoes)), output::add, Duration.ofSeconds(30));
        ServiceInstance instance = instance("proxy", List.of("/bin/true"), Map.of());
        try (ModuleSession session = draining.open(container(Map.of("lock-timeout", "20s")))) {
            Files.writeString(vetoes, "3\n");
            session.lock(instance);
            assertEquals("0", Files.readString(vetoes).strip(), "asked until it allowed");
            assertEquals(List.of("draining lock proxy@local: draining, 3 to go", "draining lock proxy@local: draining, 2 to go",
                    "draining lock proxy@local: draining, 1 to go"), output);
        }
        try (ModuleSession session = draining.open(container(Map.of("lock-timeout", "1s")))) {
            Files.writeString(vetoes, "always\n");
            ActivationException never = assertThrows(ActivationException.class, () -> session.lock(instance));
            assertTrue(never.getMessage().startsWith("proxy@local: draining did not let it change within its lock-timeout of 1s (lock"
                    + " answered not now, exit 75, "), never.getMessage());
            assertTrue(never.getMessage().endsWith("): draining, always to go"), never.getMessage());
        }
        // A lock that takes its time is given what is left of the lock-timeout, not the module's whole call timeout.
        Path started = directory.resolve("started");
        ExternalModule slow = new ExternalModule("slow", module("slow", "#!/bin/sh\necho $$ > " + started + "\nexec sleep 60\n"),
                output::add, Duration.ofMinutes(10));
        try (ModuleSession session = slow.open(container(Map.of("lock-timeout", "1s")))) {
            ActivationException killed = assertThrows(ActivationException.class, () -> session.lock(instance));
            assertTrue(killed.getMessage().endsWith("slow lock did not finish within 1s; beckon killed it"), killed.getMessage());
            assertFalse(isAlive(Long.parseLong(Files.readString(started).strip())), "the module was killed");
        }
    }

    @Test
    void theLogsVerbPrintsTheLogAndAModuleWithoutItIsSaidToPrintNone() throws Exception {
        Path log = directory.resolve("service.log");
        Files.writeString(log, "one\ntwo\nthree\n");
        ExternalModule logging = new ExternalModule("logging", module("logging",
                "#!/bin/sh\n[ \"$1\" = logs ] && tail -n \"$BECKON_LOG_LINES\" '" + log + "'\nexit 0\n"), output::add, Duration.ofSeconds(30));
        ServiceInstance instance = instance("web", List.of("/bin/true"), Map.of());
        try (ModuleSession session = logging.open(container(Map.of()))) {
            InstanceLog last = session.log(instance, 2, Optional.empty());
            assertEquals(List.of("two", "three"), last.lines());
            Files.writeString(log, "four\n", java.nio.file.StandardOpenOption.APPEND);
            InstanceLog next = session.log(instance, 100, Optional.of(last.position()));
            assertEquals(List.of("four"), next.lines(), "after an earlier read: what follows its last line");
        }
        ExternalModule silent = new ExternalModule("silent", module("silent", "#!/bin/sh\nexit 0\n"), output::add, Duration.ofSeconds(30));
        try (ModuleSession session = silent.open(container(Map.of()))) {
            InstanceLog none = session.log(instance, 20, Optional.empty());
            assertEquals(List.of(), none.lines());
            assertTrue(none.note().startsWith("its module silent printed no log lines"), none.note());
        }
    }

    @Test
    void aServiceThatCannotStartFailsTheActivationWithTheModulesMessage() throws Exception {
        ServiceInstance broken = instance("broken", List.of("/bin/sh", "-c", "echo 'config /etc/broken.toml: no such file' >&2; exit 78"),
                Map.of());
        ServiceInstance missing = instance("missing", List.of("/nonexistent/beckon-test/server"), Map.of());
        try (ModuleSession session = backgroundProcess().open(container(Map.of()))) {
            ActivationException failure = assertThrows(ActivationException.class, () -> session.activate(broken));
            assertEquals("broken@local: background-process activate failed with exit code 1: config /etc/broken.toml: no such file",
                    failure.getMessage());
            assertEquals(List.of("broken@local exited right after it started; the end of its log " + runDirectory.resolve("test-broken.log") + ":",
                    "config /etc/broken.toml: no such file"), failure.logTail());
            ActivationException notThere = assertThrows(ActivationException.class, () -> session.activate(missing));
            assertTrue(notThere.getMessage().contains("/nonexistent/beckon-test/server"), notThere.getMessage());
            // Undo is deactivate: it leaves nothing.
            session.deactivate(broken);
            session.deactivate(missing);
            assertFalse(Files.exists(broken.instanceDirectory()));
        }
    }

    @Test
    void anOperationTheModuleDoesNotKnowSucceeds() throws Exception {
        ServiceInstance instance = instance("web", List.of("/bin/true"), Map.of());
        ModuleCall.Result snapshot = ModuleCall.run(instance.id(), state.resolve("modules").resolve(TYPE), "snapshot",
                instance.instanceDirectory(), ModuleEnvironment.of(instance, instance.container()), false, output::add, Duration.ofSeconds(30));
        assertEquals(0, snapshot.exitCode(), snapshot.tail().toString());
    }

    @Test
    void queryAnswersAreReadStrictlyAndSilenceMeansTheFilesDecide() throws Exception {
        ServiceInstance instance = instance("web", List.of("/bin/true"), Map.of());
        assertEquals("web@local: garbage query answered what beckon cannot read: line 2 \"all good!\" is not KEY=VALUE (messages belong on"
                + " standard error)", queryWith("garbage", "echo presence=installed; echo 'all good!'", instance).getMessage());
        assertEquals("web@local: unknown query answered what beckon cannot read: line 1: activity \"sleeping\" is not one of listening,"
                + " running, inactive, failed, unhealthy, stuck", queryWith("unknown", "echo activity=sleeping", instance).getMessage());
        ActivationException failed = queryWith("failing", "echo 'cannot reach the manager' >&2; exit 3", instance);
        assertEquals("web@local: failing query failed with exit code 3: cannot reach the manager", failed.getMessage());
        assertEquals(List.of("cannot reach the manager"), failed.logTail());

        ExternalModule silent = new ExternalModule("silent", module("silent", "#!/bin/sh\nexit 0\n"), output::add, Duration.ofSeconds(30));
        try (ModuleSession session = silent.open(container(Map.of()))) {
            InstanceStatus nothing = session.query(instance);
            assertEquals(InstanceStatus.Presence.MISSING, nothing.presence());
            assertEquals(InstanceStatus.Activity.INACTIVE, nothing.activity());
            session.activate(instance);
            InstanceStatus activated = session.query(instance);
            assertEquals(new InstanceStatus(InstanceStatus.Presence.INSTALLED, InstanceStatus.Activity.RUNNING, List.of(),
                    "silent gave no answer to query; beckon goes by the files it wrote"), activated);
            Files.delete(instance.instanceDirectory().resolve("argv.sh"));
            assertEquals(List.of(instance.instanceDirectory().resolve("argv.sh") + " is missing"), session.query(instance).drift());
        }
    }

    @Test
    void anActivationTheModulesOwnQueryCallsFailedIsAFailure() throws Exception {
        ExternalModule liar = new ExternalModule("liar", module("liar", """
                #!/bin/sh
                if [ "$1" = query ]; then echo activity=failed; echo "detail=it crashed at start"; fi
                exit 0
                """), output::add, Duration.ofSeconds(30));
        try (ModuleSession session = liar.open(container(Map.of()))) {
            ActivationException failure = assertThrows(ActivationException.class, () -> session.activate(instance("web", List.of("/bin/true"), Map.of())));
            assertEquals("web@local: liar activate succeeded, but its query says the instance is failed: it crashed at start", failure.getMessage());
        }
    }

    @Test
    void aModuleThatHangsIsKilledAndOneThatLeavesAProcessOnItsOutputDoesNotHangBeckon() throws Exception {
        Path started = directory.resolve("started");
        ExternalModule hanging = new ExternalModule("hanging", module("hanging", "#!/bin/sh\necho $$ > " + started + "\nexec sleep 60\n"),
                output::add, Duration.ofMillis(500));
        ServiceInstance instance = instance("web", List.of("/bin/true"), Map.of());
        try (ModuleSession session = hanging.open(container(Map.of()))) {
            ActivationException killed = assertThrows(ActivationException.class, () -> session.lock(instance));
            assertTrue(killed.getMessage().endsWith("hanging lock did not finish within 500ms; beckon killed it"), killed.getMessage());
            assertFalse(isAlive(Long.parseLong(Files.readString(started).strip())), "the module was killed");
        }

        Path child = directory.resolve("child");
        ExternalModule careless = new ExternalModule("careless", module("careless",
                "#!/bin/sh\nsleep 60 &\necho $! > " + child + "\nexit 0\n"), output::add, Duration.ofSeconds(30));
        try (ModuleSession session = careless.open(container(Map.of()))) {
            session.unlock(instance);
            // Whether beckon also warns depends on a race in the JDK, which closes the pipe itself when it can.
            assertTrue(isAlive(Long.parseLong(Files.readString(child).strip())), "returned while the module's child still runs");
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(child).strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private ExternalModule backgroundProcess() {
        return new ExternalModule(TYPE, state.resolve("modules").resolve(TYPE), output::add, Duration.ofSeconds(30));
    }

    private ActivationException queryWith(String name, String body, ServiceInstance instance) throws Exception {
        ExternalModule module = new ExternalModule(name, module(name, "#!/bin/sh\nif [ \"$1\" = query ]; then " + body + "; fi\nexit 0\n"),
                output::add, Duration.ofSeconds(30));
        try (ModuleSession session = module.open(container(Map.of()))) {
            return assertThrows(ActivationException.class, () -> session.query(instance));
        }
    }

    private Path module(String name, String script) throws IOException {
        Path module = Files.createDirectories(directory.resolve("modules")).resolve(name);
        Files.writeString(module, script);
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
        return module;
    }

    /** A service that writes its argv to {@code record}, NUL-separated, then sleeps: a process to run and stop. */
    private ServiceInstance recordingSleeper(String service, Path record, String version) {
        List<String> exec = new ArrayList<>(List.of("/bin/sh", "-c",
                "printf '%s\\0' \"$@\" > \"$RECORD_TO.tmp\" && mv \"$RECORD_TO.tmp\" \"$RECORD_TO\" && exec sleep 120", "sh"));
        exec.addAll(HOSTILE);
        return instance(service, exec, Map.of("RECORD_TO", record.toString(), "VERSION", version, "HOSTILE", String.join("\n", HOSTILE)));
    }

    private ServiceInstance instance(String service, List<String> exec, Map<String, String> environment) {
        String hash = Integer.toHexString((service + exec + environment).hashCode());
        return new ServiceInstance("test", service, "local", TYPE, "", exec, new TreeMap<>(environment), new TreeMap<>(), Optional.empty(),
                Optional.empty(), state.resolve("store").resolve(hash + "-" + service), new TreeMap<>(settings(Map.of())), state);
    }

    private Map<String, String> settings(Map<String, String> extra) {
        TreeMap<String, String> settings = new TreeMap<>(extra);
        settings.put("run-directory", runDirectory.toString());
        return settings;
    }

    private TargetContainer container(Map<String, String> extra) {
        return new TargetContainer("local", TYPE, new TreeMap<>(settings(extra)), state);
    }

    private long pidOf(String service) throws IOException {
        return Long.parseLong(Files.readString(runDirectory.resolve("test-" + service + ".pid")).strip());
    }

    private List<String> recorded(Path record) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(record) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return nulSeparated(record);
    }

    private static List<String> environmentOf(long pid) throws IOException {
        return nulSeparated(Path.of("/proc", Long.toString(pid), "environ"));
    }

    private static List<String> nulSeparated(Path file) throws IOException {
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        List<String> entries = new ArrayList<>(Arrays.asList(text.split("\0", -1)));
        entries.remove(entries.size() - 1);
        return entries;
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private static boolean isAlive(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        char state = text.substring(text.lastIndexOf(") ") + 2).charAt(0);
        return state != 'Z' && state != 'X';
    }
}
