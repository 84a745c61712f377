package dev.beckon.planner.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** How a plan line says where an always-on instance's listeners are, and what its restart costs. */
class PlanTextListenersTest {
    @Test
    void aChangedAlwaysOnServiceThatBindsItsOwnPortSaysItsRestartRefusesConnections() {
        String text = PlanText.render(plan(Action.CHANGE, entry(List.of(), false, Map.of("http", 8080))), "beckon will:");
        assertTrue(text.contains("  ~ web  systemd-unit, always running (restart refuses connections: it binds its own port)\n"), text);
    }

    @Test
    void heldSocketsAreShownInsteadAndNothingIsSaidWhereNoRestartHappensOrNoPortIsDeclared() {
        String held = PlanText.render(plan(Action.CHANGE, entry(List.of("127.0.0.1:8080"), false, Map.of("http", 8080))), "beckon will:");
        assertTrue(held.contains("  ~ web  systemd-unit, always running, sockets held at 127.0.0.1:8080\n"), held);
        String first = PlanText.render(plan(Action.ACTIVATE, entry(List.of(), false, Map.of("http", 8080))), "beckon will:");
        assertTrue(first.contains("  + web  systemd-unit, always running\n"), first);
        String portless = PlanText.render(plan(Action.CHANGE, entry(List.of(), false, Map.of())), "beckon will:");
        assertFalse(portless.contains("refuses"), portless);
    }

    @Test
    void anEntryWithListenersButNotOnDemandIsAnAlwaysOnInstanceWithHeldSocketsAndItsStopTimeoutRoundTrips() throws Exception {
        ManifestEntry held = entry(List.of("127.0.0.1:8080"), false, Map.of("http", 8080));
        ServiceInstance instance = held.toInstance("default");
        assertTrue(instance.holdsSockets() && !instance.isOnDemand(), "started at once, with the sockets held");
        assertEquals(Optional.of(Duration.ofSeconds(30)), instance.stopTimeout());
        Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, "default", new TreeMap<>(), List.of(held));
        assertEquals(manifest, ManifestJson.read(ManifestJson.write(manifest), "test"));

        ManifestEntry recordedBefore = new ManifestEntry(held.service(), held.target(), held.type(), held.hash(), held.description(),
                held.exec(), held.environment(), held.ports(), List.of(), "0", false, false, "", "", "", "/state/i", new TreeMap<>(),
                "/state", List.of(), new TreeMap<>(), new TreeMap<>(), "", "");
        String json = new String(ManifestJson.write(new Manifest(Manifest.FORMAT_VERSION, "default", new TreeMap<>(),
                List.of(recordedBefore))), StandardCharsets.UTF_8);
        assertFalse(json.contains("stopTimeout"), "left out when unset, so manifests recorded before keep their bytes: " + json);
        assertEquals(Optional.empty(), recordedBefore.toInstance("default").stopTimeout());
        assertEquals(Optional.empty(), recordedBefore.toInstance("default").onDemand(), "no listeners: it binds its own");
    }

    private static Plan plan(Action action, ManifestEntry entry) {
        Manifest desired = new Manifest(Manifest.FORMAT_VERSION, "default", new TreeMap<>(), List.of(entry));
        Optional<ManifestEntry> recorded = action == Action.ACTIVATE ? Optional.empty() : Optional.of(entry);
        return new Plan(desired, Manifest.empty("default"),
                List.of(new Change(action, "local", "web", Optional.of(entry), recorded, List.of())));
    }

    private static ManifestEntry entry(List<String> listen, boolean onDemand, Map<String, Integer> ports) {
        return new ManifestEntry("web", "local", "systemd-unit", "hash", "", List.of("/bin/web"), new TreeMap<>(), new TreeMap<>(ports),
                listen, "0", false, onDemand, "", "", "", "/state/i", new TreeMap<>(), "/state", List.of(), new TreeMap<>(),
                new TreeMap<>(), listen.isEmpty() ? "" : "listen-fds", listen.isEmpty() ? "" : "4000/10s")
                .withStopTimeout(Durations.format(Duration.ofSeconds(30)));
    }
}
