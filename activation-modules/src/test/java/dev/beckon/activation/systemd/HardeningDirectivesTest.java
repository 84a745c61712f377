package dev.beckon.activation.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.idle.WarmState;
import dev.beckon.models.Hardening;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.SocketPassing;
import dev.beckon.models.StartLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The sandboxing directives each scope gets, and what each key of [services.X.hardening] takes away. */
class HardeningDirectivesTest {
    private static final Hardening DEFAULTS = new Hardening(true, true, true, true, new TreeSet<>(List.of("AF_INET", "AF_INET6", "AF_UNIX")),
            Optional.empty(), true);

    @Test
    void aSystemUnitGetsEveryMeasureWithItsOwnStateDirectoryWritableAndADynamicUser() {
        assertEquals("""
                NoNewPrivileges=yes
                RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
                ProtectSystem=strict
                ReadWritePaths="-/var/lib/beckon/services/test/hello"
                ProtectHome=read-only
                PrivateTmp=yes
                DynamicUser=yes
                """, HardeningDirectives.service(instance("system", DEFAULTS, "/var/lib/beckon")));
    }

    @Test
    void aUserUnitGetsOnlyWhatAUserManagerApplies() {
        assertEquals("NoNewPrivileges=yes\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n",
                HardeningDirectives.service(instance("user", DEFAULTS, "/home/u/.local/state/beckon")));
    }

    @Test
    void eachKeyTurnsItsDirectiveOff() {
        Hardening none = new Hardening(false, false, false, false, new TreeSet<>(), Optional.empty(), false);
        assertEquals("", HardeningDirectives.service(instance("system", none, "/var/lib/beckon")));
        assertEquals("", HardeningDirectives.service(instance("system", Hardening.NONE, "/var/lib/beckon")), "recorded before hardening");
        String onlyTmp = HardeningDirectives.service(instance("system", new Hardening(false, false, false, true, new TreeSet<>(),
                Optional.empty(), false), "/var/lib/beckon"));
        assertEquals("PrivateTmp=yes\n", onlyTmp);
        String dynamicOnly = HardeningDirectives.service(instance("system", new Hardening(false, false, false, false, new TreeSet<>(),
                Optional.empty(), true), "/var/lib/beckon"));
        assertEquals("ReadWritePaths=\"-/var/lib/beckon/services/test/hello\"\nDynamicUser=yes\n", dynamicOnly,
                "DynamicUser= makes the file system read-only by itself: the state directory stays writable");
    }

    @Test
    void aNamedUserWithWarmStateIsGivenItsRegionAtEachStart() {
        Hardening web = new Hardening(true, true, true, true, new TreeSet<>(List.of("AF_UNIX")), Optional.of("web"), false);
        ServiceInstance instance = withWarmState(instance("system", web, "/var/lib/beckon"));
        String lines = HardeningDirectives.service(instance);
        assertTrue(lines.contains("User=web\nExecStartPre=+/bin/chown -h web: \"/var/lib/beckon/services/test/hello/state\"\n"), lines);
        assertFalse(lines.contains("DynamicUser"), lines);
        assertFalse(HardeningDirectives.service(instance("system", web, "/var/lib/beckon")).contains("chown"),
                "without warm state it writes nothing there");
    }

    @Test
    void aDynamicUserCannotKeepWarmStateAndAPrivateTmpCannotHideTheStore() {
        IllegalArgumentException state = assertThrows(IllegalArgumentException.class,
                () -> HardeningDirectives.service(withWarmState(instance("system", DEFAULTS, "/var/lib/beckon"))));
        assertTrue(state.getMessage().contains("give it a user = \"NAME\" in [services.hello.hardening], or turn dynamic-user off"),
                state.getMessage());
        IllegalArgumentException tmp = assertThrows(IllegalArgumentException.class,
                () -> HardeningDirectives.service(instance("system", DEFAULTS, "/tmp/beckon")));
        assertTrue(tmp.getMessage().contains("would hide beckon's state directory /tmp/beckon"), tmp.getMessage());
        assertEquals("NoNewPrivileges=yes\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n",
                HardeningDirectives.service(instance("user", DEFAULTS, "/tmp/beckon")), "a user unit gets no private /tmp");
    }

    @Test
    void aPathIsQuotedSoThatItStaysOnePath() {
        String lines = HardeningDirectives.service(instance("system", DEFAULTS, "/srv/my state/100%"));
        assertTrue(lines.contains("ReadWritePaths=\"-/srv/my state/100%%/services/test/hello\"\n"), lines);
    }

    @Test
    void theFailureGuardOfAHardenedSystemUnitRunsUnconfined() {
        ServiceInstance onDemand = instance("system", DEFAULTS, "/var/lib/beckon").withOnDemand(Optional.of(new ServiceInstance.Activation(
                List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 18080)), Duration.ofSeconds(5), false, SocketPassing.LISTEN_FDS,
                StartLimit.of(Duration.ofSeconds(5), OptionalInt.empty(), Optional.empty()))));
        String unit = SystemdUnitRenderer.render(onDemand).file("beckon-test-hello.service").orElseThrow().content();
        assertTrue(unit.contains("\nExecStopPost=+/bin/sh -c "), unit);
        assertTrue(unit.contains("\nNoNewPrivileges=yes\n"), unit);
        String user = SystemdUnitRenderer.render(instance("user", DEFAULTS, "/s").withOnDemand(onDemand.onDemand()))
                .file("beckon-test-hello.service").orElseThrow().content();
        assertTrue(user.contains("\nExecStopPost=/bin/sh -c "), user);
    }

    @Test
    void systemdAnalyzeScoresAHardenedUnitLessExposedInEachScope() {
        for (String scope : List.of("system", "user")) {
            boolean user = scope.equals("user");
            String hardened = SecurityExposure.of("beckon-test-hello.service", SystemdUnitRenderer.render(instance(scope, DEFAULTS,
                    "/var/lib/beckon")).file("beckon-test-hello.service").orElseThrow().content(), user);
            String bare = SecurityExposure.of("beckon-test-hello.service", SystemdUnitRenderer.render(instance(scope, Hardening.NONE,
                    "/var/lib/beckon")).file("beckon-test-hello.service").orElseThrow().content(), user);
            assertTrue(hardened.matches("[0-9]+\\.[0-9] [A-Z]+") && bare.matches("[0-9]+\\.[0-9] [A-Z]+"), hardened + " / " + bare);
            assertTrue(Double.parseDouble(hardened.split(" ")[0]) < Double.parseDouble(bare.split(" ")[0]), scope + ": " + hardened
                    + " is not below " + bare);
        }
    }

    private static ServiceInstance withWarmState(ServiceInstance instance) {
        TreeMap<String, String> environment = new TreeMap<>(instance.environment());
        environment.put(WarmState.PATH_VARIABLE, instance.stateDirectory() + "/services/test/hello/state");
        return new ServiceInstance(instance.profile(), instance.service(), instance.target(), instance.type(), instance.description(),
                instance.exec(), environment, instance.ports(), instance.onDemand(), instance.packagePath(), instance.instanceDirectory(),
                instance.container(), instance.stateDirectory(), instance.stopTimeout(), instance.readiness(), instance.limits(),
                instance.hardening());
    }

    private static ServiceInstance instance(String scope, Hardening hardening, String stateDirectory) {
        return new ServiceInstance("test", "hello", "local", SystemdUnitModule.TYPE, "", List.of("/bin/hello"), new TreeMap<>(),
                new TreeMap<>(Map.of("http", 18080)), Optional.empty(), Optional.empty(), Path.of(stateDirectory, "store/x-hello"),
                new TreeMap<>(Map.of("scope", scope)), Path.of(stateDirectory)).withHardening(hardening);
    }
}
