package dev.beckon.activation.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceReadiness;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The external-module protocol's optional verbs: ready after activate, health in status; a module that does not know them is unchanged. */
class ExternalReadinessTest {
    @TempDir
    Path directory;

    private final List<String> output = Collections.synchronizedList(new ArrayList<>());

    @Test
    void activateWaitsWhileReadySaysNotYetAndFailsWhenItSaysNever() throws Exception {
        Path calls = directory.resolve("ready-calls");
        // "Not yet" twice, then ready: every call is counted in the file.
        ModuleSession slow = open("slow", """
                if [ "$1" = ready ]; then
                    echo x >> %s
                    [ "$(wc -l < %s)" -ge 3 ] || exit 75
                fi
                exit 0
                """.formatted(calls, calls));
        slow.activate(instance("web", Duration.ofSeconds(30)));
        assertEquals(3, Files.readAllLines(calls).size());

        ModuleSession never = open("never", "if [ \"$1\" = ready ]; then echo 'port 80 is taken' >&2; exit 3; fi\nexit 0\n");
        ActivationException refused = assertThrows(ActivationException.class, () -> never.activate(instance("web", Duration.ofSeconds(30))));
        assertEquals("web@local: never ready says the instance will not be ready (exit code 3): port 80 is taken", refused.getMessage());

        ModuleSession stubborn = open("stubborn", "if [ \"$1\" = ready ]; then echo 'still loading' >&2; exit 75; fi\nexit 0\n");
        ActivationException late = assertThrows(ActivationException.class, () -> stubborn.activate(instance("web", Duration.ofMillis(500))));
        assertEquals("web@local: stubborn ready still said \"not yet\" (exit code 75) after its ready-timeout of 500ms: still loading",
                late.getMessage());
    }

    @Test
    void statusIsUnhealthyWhenHealthFailsAndAModuleWithoutTheVerbsIsAsBefore() throws Exception {
        Path sick = directory.resolve("sick");
        ModuleSession checked = open("checked", """
                case "$1" in
                    query) echo activity=running; echo detail=pid 42 runs ;;
                    health) if [ -e %s ]; then echo 'database unreachable'; exit 1; fi ;;
                esac
                exit 0
                """.formatted(sick));
        ServiceInstance web = instance("web", Duration.ofSeconds(30));
        checked.activate(web);
        assertEquals(InstanceStatus.Activity.RUNNING, checked.query(web).activity());
        Files.writeString(sick, "");
        InstanceStatus unhealthy = checked.query(web);
        assertEquals(InstanceStatus.Activity.UNHEALTHY, unhealthy.activity());
        assertEquals("pid 42 runs; health exited with 1: database unreachable", unhealthy.detail());

        ModuleSession old = open("old", "case \"$1\" in activate|deactivate|query|lock|unlock) ;; *) exit 0 ;; esac\n"
                + "[ \"$1\" = query ] && echo activity=running\nexit 0\n");
        old.activate(web);
        assertEquals(InstanceStatus.Activity.RUNNING, old.query(web).activity());
        assertTrue(output.stream().noneMatch(line -> line.contains("ready") || line.contains("health")), output.toString());
    }

    private ModuleSession open(String name, String body) throws IOException, ActivationException {
        Path module = Files.createDirectories(directory.resolve("modules")).resolve(name);
        Files.writeString(module, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new ExternalModule(name, module, output::add, Duration.ofSeconds(30))
                .open(new TargetContainer("local", name, new TreeMap<>(), directory.resolve("state")));
    }

    private ServiceInstance instance(String service, Duration readyTimeout) {
        return new ServiceInstance("test", service, "local", "module", "", List.of("/bin/true"), new TreeMap<>(), new TreeMap<>(),
                Optional.empty(), Optional.empty(), directory.resolve("store").resolve(service + "-" + readyTimeout.toMillis()),
                new TreeMap<>(), directory.resolve("state")).withReadiness(new InstanceReadiness(false, readyTimeout, Optional.empty(), false));
    }
}
