package dev.beckon.activation.systemd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.models.ListenAddress;
import dev.beckon.sandbox.CommandResult;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Instances and sessions for the systemd module's tests, against a sandbox's user manager. */
final class SystemdFixture {
    private final SystemdUserManager systemd;
    private final Path stateDirectory;

    SystemdFixture(SystemdUserManager systemd, Path stateDirectory) {
        this.systemd = systemd;
        this.stateDirectory = stateDirectory;
    }

    TargetContainer container() {
        return new TargetContainer("local", SystemdUnitModule.TYPE, new TreeMap<>(containerSettings()), stateDirectory);
    }

    private Map<String, String> containerSettings() {
        return Map.of("scope", "user", "bus", systemd.busAddress(), "journal-directory", systemd.journalDirectory().toString());
    }

    SystemdSession open() throws ActivationException {
        return (SystemdSession) new SystemdUnitModule().open(container());
    }

    /** An on-demand greeting service on 127.0.0.1:port that exits after {@code idle}. */
    ServiceInstance greeter(String service, int port, String greeting, Duration idle) {
        return instance(service, TestServices.javaCommand(GreetingServer.class, greeting), Map.of("http", port),
                Optional.of(new ServiceInstance.Activation(
                        List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), port)), idle, false)));
    }

    /** An always-on service running the given command. */
    ServiceInstance daemon(String service, List<String> exec) {
        return instance(service, exec, Map.of(), Optional.empty());
    }

    ServiceInstance instance(String service, List<String> exec, Map<String, Integer> ports,
            Optional<ServiceInstance.Activation> onDemand) {
        return new ServiceInstance("test", service, "local", SystemdUnitModule.TYPE, "test service " + service, exec,
                new TreeMap<>(Map.of("GREETING_SOURCE", "environment")), new TreeMap<>(ports), onDemand, Optional.empty(),
                stateDirectory.resolve("instances").resolve(service), new TreeMap<>(containerSettings()), stateDirectory);
    }

    /** A property of a unit, as {@code systemctl --user show} prints it: the independent witness. */
    String show(String unit, String property) {
        CommandResult result = systemd.systemctl("show", "--property=" + property, "--value", unit);
        if (!result.succeeded()) {
            throw new AssertionError(result.toString());
        }
        return result.stdout().strip();
    }

    /** The units the manager has loaded whose names match the pattern, one line each; empty when none. */
    String loadedUnits(String pattern) {
        return systemd.systemctl("list-units", "--all", "--plain", "--no-legend", pattern).stdout().strip();
    }

    /** A property of the manager itself. */
    String showManager(String property) {
        return systemd.systemctl("show", "--property=" + property, "--value").stdout().strip();
    }

    Path unitDirectory() {
        return systemd.unitDirectory();
    }
}
