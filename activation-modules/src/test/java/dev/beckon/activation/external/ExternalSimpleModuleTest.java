package dev.beckon.activation.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The minimal module the README shows, as it stands there. */
class ExternalSimpleModuleTest {
    private static final String TYPE = "simple-process";

    @TempDir
    Path directory;
    private final List<String> output = new ArrayList<>();
    private final List<Long> started = new ArrayList<>();

    @AfterEach
    void stopWhatRuns() {
        started.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void theReadmeShowsTheTestedModuleAsItIs() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String start = "```sh\n#!/bin/sh\n# " + TYPE + ":";
        int from = readme.indexOf(start);
        assertTrue(from >= 0, "README.md shows the module");
        String shown = readme.substring(from + "```sh\n".length(), readme.indexOf("```\n", from + start.length()));
        assertEquals(resource(), shown);
    }

    @Test
    void itRunsReplacesAndStopsTheServiceAndReportsOneThatExitsAtOnce() throws Exception {
        ExternalModule module = new ExternalModule(TYPE, install(), output::add, Duration.ofSeconds(30));
        TargetContainer container = new TargetContainer("local", TYPE, new TreeMap<>(Map.of("run-directory", directory.resolve("run").toString())),
                directory);
        try (ModuleSession session = module.open(container)) {
            ServiceInstance first = instance("worker", "one", "exec sleep 60");
            session.activate(first);
            long pid = pid();
            assertTrue(ProcessHandle.of(pid).isPresent());
            assertEquals(InstanceStatus.Activity.RUNNING, session.query(first).activity());
            assertTrue(session.query(first).isHealthy(), session.query(first).toString());
            session.activate(first);
            assertEquals(pid, pid(), "the same instance again changes nothing");

            ServiceInstance second = instance("worker", "two", "exec sleep 60");
            session.activate(second);
            assertNotEquals(pid, pid(), "a changed instance replaces the old version");
            assertFalse(alive(pid));
            long secondPid = pid();

            session.deactivate(second);
            assertFalse(alive(secondPid));
            assertEquals(InstanceStatus.Presence.MISSING, session.query(second).presence());
            session.deactivate(second);

            ServiceInstance broken = instance("broken", "one", "echo 'no database at /var/lib/broken' >&2; exit 1");
            ActivationException failure = assertThrows(ActivationException.class, () -> session.activate(broken));
            assertEquals("broken@local: simple-process activate failed with exit code 1: broken@local exited at once: no database at"
                    + " /var/lib/broken", failure.getMessage());
            InstanceStatus failed = session.query(broken);
            assertEquals(InstanceStatus.Activity.FAILED, failed.activity());
            assertEquals("no database at /var/lib/broken", failed.detail());
            session.deactivate(broken);
        }
        assertTrue(output.stream().noneMatch(line -> line.contains("/proc/")), "the module complained about /proc: " + output);
    }

    private ServiceInstance instance(String service, String version, String script) {
        return new ServiceInstance("test", service, "local", TYPE, "", List.of("/bin/sh", "-c", script), new TreeMap<>(Map.of("VERSION", version)),
                new TreeMap<>(), Optional.empty(), Optional.empty(), directory.resolve("store").resolve(version + "-" + service),
                new TreeMap<>(), directory);
    }

    private long pid() throws IOException {
        long pid = Long.parseLong(Files.readString(directory.resolve("run/test-worker.pid")).strip());
        started.add(pid);
        return pid;
    }

    private static boolean alive(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        return text.charAt(text.lastIndexOf(") ") + 2) != 'Z';
    }

    private Path install() throws IOException {
        Path module = Files.createDirectories(directory.resolve("modules")).resolve(TYPE);
        Files.writeString(module, resource());
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
        return module;
    }

    private static String resource() throws IOException {
        try (InputStream in = ExternalSimpleModuleTest.class.getResourceAsStream("/external-modules/" + TYPE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
