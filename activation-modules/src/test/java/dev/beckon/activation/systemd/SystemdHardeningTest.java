package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.ServiceStateDirectory;
import dev.beckon.idle.WarmState;
import dev.beckon.models.Hardening;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * System-scope hardening, applied by a real manager without touching the machine's: the sandbox's manager runs as
 * root, so it sets up mount namespaces and switches users as PID 1 does. Each service probes its own confinement
 * and logs what it found; the unit's properties are read back with {@code systemctl show}.
 */
@ExtendWith(SystemdSandboxExtension.class)
class SystemdHardeningTest {
    /** Not under /tmp: a private /tmp would hide it (and the renderer refuses that). */
    private Path state;

    @BeforeEach
    void makeStateDirectory() throws IOException {
        // A clone under /tmp (as CI's may be) has its target/ there too: then under /var/lib, which root owns.
        Path module = Path.of("target").toAbsolutePath();
        Path base = module.startsWith("/tmp") || module.startsWith("/var/tmp") ? Path.of("/var/lib") : module;
        state = Files.createDirectories(base.resolve("beckon-test-hardening-" + UUID.randomUUID()));
    }

    @AfterEach
    void removeStateDirectory() throws IOException {
        try (Stream<Path> all = Files.walk(state)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aSystemUnitRunsAsItsUserWithTheFileSystemReadOnlyButItsStateAPrivateTmpAndOnlyItsFamilies(SystemdUserManager systemd)
            throws Exception {
        SystemdFixture fixture = new SystemdFixture(systemd, state);
        Path open = Files.createDirectories(state.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path own = Files.createDirectories(ServiceStateDirectory.of(state, "test", "named"));
        Path region = Files.writeString(own.resolve("state"), "");
        String token = UUID.randomUUID().toString();
        Hardening named = new Hardening(true, true, true, true, new TreeSet<>(List.of("AF_UNIX")), Optional.of("nobody"), false);
        Hardening dynamic = new Hardening(true, true, true, true, new TreeSet<>(List.of("AF_INET", "AF_INET6", "AF_UNIX")),
                Optional.empty(), true);
        try (ServerSocket listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                SystemdSession session = fixture.open()) {
            ServiceInstance withState = systemScope(fixture.daemon("named", probe(own, open, listener.getLocalPort(), token)), named,
                    Map.of(WarmState.PATH_VARIABLE, region.toString()));
            ServiceInstance withoutState = systemScope(fixture.daemon("dynamic", probe(ServiceStateDirectory.of(state, "test", "dynamic"),
                    open, listener.getLocalPort(), token)), dynamic, Map.of());
            session.activate(withState);
            session.activate(withoutState);

            String namedProbe = probeLine(session, withState);
            assertTrue(namedProbe.contains(" uid=65534 "), namedProbe);
            assertTrue(namedProbe.contains(" nnp=1 "), namedProbe);
            assertTrue(namedProbe.contains(" system=read-only "), "ProtectSystem=strict: " + namedProbe);
            assertTrue(namedProbe.contains(" own=writable "), "its warm-state region, given to its user: " + namedProbe);
            assertTrue(namedProbe.contains(" tmp=written "), namedProbe);
            assertTrue(namedProbe.contains("Address family not supported"), "AF_UNIX only: " + namedProbe);
            assertEquals("65534", String.valueOf(Files.getAttribute(region, "unix:uid")));
            assertEquals("0", String.valueOf(Files.getAttribute(own, "unix:uid")), "the directory stays beckon's (SafeDirectories)");

            String dynamicProbe = probeLine(session, withoutState);
            assertFalse(dynamicProbe.contains(" uid=0 ") || dynamicProbe.contains(" uid=65534 "), dynamicProbe);
            assertTrue(dynamicProbe.contains(" system=read-only "), dynamicProbe);
            assertTrue(dynamicProbe.contains(" inet=connected"), "it declares IP: " + dynamicProbe);
            assertFalse(Files.exists(Path.of("/tmp", "beckon-hardening-" + token)), "both wrote only to their private /tmp");
            assertFalse(Files.exists(open.resolve("probe")));

            String unit = "beckon-test-named.service";
            assertEquals("yes", fixture.show(unit, "NoNewPrivileges"));
            assertEquals("strict", fixture.show(unit, "ProtectSystem"));
            assertEquals("read-only", fixture.show(unit, "ProtectHome"));
            assertEquals("yes", fixture.show(unit, "PrivateTmp"));
            assertEquals("AF_UNIX", fixture.show(unit, "RestrictAddressFamilies"));
            assertEquals("nobody", fixture.show(unit, "User"));
            assertEquals("-" + own, fixture.show(unit, "ReadWritePaths"));
            assertEquals("yes", fixture.show("beckon-test-dynamic.service", "DynamicUser"));

            session.deactivate(withState);
            session.deactivate(withoutState);
            session.flush();
        }
    }

    /** A shell that logs what it may do, then stays up. */
    private static List<String> probe(Path own, Path open, int port, String token) {
        String script = String.join("; ",
                "nnp=$(grep -c '^NoNewPrivs:[[:space:]]*1' /proc/self/status)",
                "if touch \"$2/probe\" 2>/dev/null; then system=writable; else system=read-only; fi",
                "if echo probe 2>/dev/null >> \"$1/state\"; then own=writable; else own=read-only; fi",
                "if echo x > \"/tmp/beckon-hardening-$4\"; then tmp=written; else tmp=refused; fi",
                "inet=$( (exec 3<>\"/dev/tcp/127.0.0.1/$3\" && echo connected) 2>&1 | tr '\\n' ' ')",
                "echo \"hardening-probe uid=$(id -u) nnp=$nnp system=$system own=$own tmp=$tmp inet=$inet\"",
                "exec sleep 600");
        return List.of("/bin/bash", "-c", script, "probe", own.toString(), open.toString(), String.valueOf(port), token);
    }

    private static ServiceInstance systemScope(ServiceInstance i, Hardening hardening, Map<String, String> environment) {
        TreeMap<String, String> container = new TreeMap<>(i.container());
        container.put("scope", "system");
        TreeMap<String, String> env = new TreeMap<>(i.environment());
        env.putAll(environment);
        return new ServiceInstance(i.profile(), i.service(), i.target(), i.type(), i.description(), i.exec(), env, i.ports(),
                i.onDemand(), i.packagePath(), i.instanceDirectory(), container, i.stateDirectory(), i.stopTimeout(), i.readiness(),
                i.limits(), hardening);
    }

    /** The probe's line from the journal, which journald may write a moment after the service logged it. */
    private static String probeLine(SystemdSession session, ServiceInstance instance) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        List<String> lines = List.of();
        while (Instant.now().isBefore(deadline)) {
            lines = session.log(instance, 20, Optional.empty()).lines();
            Optional<String> probe = lines.stream().filter(l -> l.contains("hardening-probe")).findFirst();
            if (probe.isPresent()) {
                return probe.get().substring(probe.get().indexOf("hardening-probe")) + " ";
            }
            Thread.sleep(100);
        }
        throw new AssertionError(instance.id() + " logged no probe line within 60 s: " + lines);
    }
}
