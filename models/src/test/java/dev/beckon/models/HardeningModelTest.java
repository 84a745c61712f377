package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code [services.X.hardening]}: every measure on by default, the socket families a service needs, and what turns each off. */
class HardeningModelTest {
    @TempDir
    Path dir;

    @Test
    void aServiceWithoutTheTableGetsEveryMeasureAndTheFamiliesItNeeds() throws Exception {
        SystemModel model = load("""
                [services.web]
                type = "systemd-unit"
                exec = ["/bin/web"]
                ports = { http = 8080 }

                [services.worker]
                type = "systemd-unit"
                exec = ["/bin/worker"]

                [services.client]
                type = "systemd-unit"
                exec = ["/bin/client"]
                depends-on = ["web"]

                [services.local]
                type = "systemd-unit"
                exec = ["/bin/local"]
                on-demand = { listen = ["/run/local.sock"] }

                [services.echo]
                type = "systemd-unit"
                exec = ["/bin/echo"]
                on-demand = { listen = ["127.0.0.1:7000"] }
                """);
        List<String> ip = List.of("AF_INET", "AF_INET6", "AF_UNIX");
        assertEquals(new Hardening(true, true, true, true, new TreeSet<>(ip), Optional.empty(), true), model.services().get("web").hardening());
        assertEquals(List.of("AF_UNIX"), List.copyOf(model.services().get("worker").hardening().addressFamilies()));
        assertEquals(ip, List.copyOf(model.services().get("client").hardening().addressFamilies()));
        assertEquals(List.of("AF_UNIX"), List.copyOf(model.services().get("local").hardening().addressFamilies()));
        assertEquals(ip, List.copyOf(model.services().get("echo").hardening().addressFamilies()));
    }

    @Test
    void eachKeyTurnsItsMeasureOffAndAUserReplacesTheDynamicOne() throws Exception {
        SystemModel model = load("""
                [services.web]
                type = "systemd-unit"
                exec = ["/bin/web"]
                [services.web.hardening]
                no-new-privileges = false
                protect-system = false
                protect-home = false
                private-tmp = false
                address-families = ["AF_NETLINK"]
                user = "www-data"

                [services.open]
                type = "systemd-unit"
                exec = ["/bin/open"]
                hardening = { restrict-address-families = false, dynamic-user = false }
                """);
        assertEquals(new Hardening(false, false, false, false, new TreeSet<>(List.of("AF_NETLINK", "AF_UNIX")), Optional.of("www-data"),
                false), model.services().get("web").hardening());
        Hardening open = model.services().get("open").hardening();
        assertEquals(new Hardening(true, true, true, true, new TreeSet<>(), Optional.empty(), false), open);
    }

    @Test
    void otherModulesConfineNothing() throws Exception {
        Files.writeString(dir.resolve("services.toml"), """
                [services.legacy]
                type = "inetd"
                exec = ["/bin/legacy"]
                on-demand = { listen = [2000] }
                """);
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.t]\nhost = \"localhost\"\ncontainers = { inetd = {} }\n");
        Files.writeString(dir.resolve("distribution.toml"), "");
        assertEquals(Hardening.NONE, ModelLoader.load(dir).services().get("legacy").hardening());
    }

    @Test
    void manifestsReadBackWhatTheyRecordAndAnEmptyMapIsNone() {
        Hardening hardening = new Hardening(true, false, true, false, new TreeSet<>(List.of("AF_UNIX", "AF_INET")), Optional.of("web"),
                false);
        assertEquals(hardening, Hardening.fromMap(hardening.toMap()));
        assertEquals(new TreeMap<>(), Hardening.NONE.toMap());
        assertEquals(Hardening.NONE, Hardening.fromMap(new TreeMap<>()));
        SortedMap<String, String> unknown = new TreeMap<>(hardening.toMap());
        unknown.put("protect-kernel", "true");
        assertEquals("hardening \"protect-kernel\" is none this beckon knows",
                assertThrows(IllegalArgumentException.class, () -> Hardening.fromMap(unknown)).getMessage());
        SortedMap<String, String> badUser = new TreeMap<>(hardening.toMap());
        badUser.put("user", "web\nExecStart=/bin/evil");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Hardening.fromMap(badUser)).getMessage().contains("not a user name"));
    }

    private SystemModel load(String services) throws Exception {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), "[targets.t]\nhost = \"localhost\"\ncontainers = { systemd-unit = {} }\n");
        Files.writeString(dir.resolve("distribution.toml"), "");
        return ModelLoader.load(dir);
    }
}
