package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.testing.GreetingServer;
import dev.beckon.activation.testing.TestServices;
import dev.beckon.planner.testing.BeckonProcess;
import dev.beckon.planner.testing.BeckonProcess.Run;
import dev.beckon.sandbox.SshHost;
import dev.beckon.sandbox.SystemdUserManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Confirm or roll back through {@code bin/beckon}, against one "machine" reached over SSH (an sshd on 127.0.0.2 in
 * its own systemd user manager's namespace): a deployment that can confirm through a new connection succeeds; one whose
 * target's sshd is stopped after the activation (the master connection stays, no new one can be made) is put back by
 * the target itself at its confirm-timeout, and beckon exits 4.
 */
class ConfirmRollbackIT {
    @TempDir
    static Path dir;

    private static SystemdUserManager machine;
    private static SshHost host;
    private static Path sshConfig;
    private static int port;

    @BeforeAll
    static void startMachine() throws Exception {
        machine = SystemdUserManager.start(dir.resolve("machine"));
        host = SshHost.start(dir.resolve("ssh"), "127.0.0.2", machine);
        sshConfig = SshHost.clientConfig(dir.resolve("ssh_config"), List.of(host));
        port = TestServices.freePort();
    }

    @AfterAll
    static void stopMachine() {
        if (host != null) {
            host.close();
        }
        if (machine != null) {
            machine.close();
        }
    }

    private static Run beckon(Map<String, String> extra, String... args) {
        BeckonProcess process = BeckonProcess.withEnvironment(Map.of("BECKON_SSH_COMMAND", "ssh -F " + sshConfig,
                "BECKON_HOME", dir.resolve("home").toString()));
        for (Map.Entry<String, String> variable : extra.entrySet()) {
            process = process.and(variable.getKey(), variable.getValue());
        }
        return process.run(args);
    }

    private static Path model(String version) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model-" + version));
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.a]
                host = "%s"
                hostname = "%s"
                state-dir = "%s"
                [targets.a.containers.systemd-unit]
                journal-directory = "%s"
                """.formatted(host.destination(), host.address(), dir.resolve("state-a"), machine.journalDirectory()));
        Files.writeString(model.resolve("services.toml"), """
                [services.hello]
                type = "systemd-unit"
                package = "%s"
                exec = ["java", "-XX:TieredStopAtLevel=1", "-cp", "{package}", "%s", "hello %s"]
                class-data-archive = false
                ports = { greeting = %d }
                [services.hello.on-demand]
                listen = ["127.0.0.1:{ports.greeting}"]
                pass = "stdin"
                idle-timeout = "1h"
                """.formatted(Path.of(GreetingServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()),
                GreetingServer.class.getName(), version, port));
        Files.writeString(model.resolve("distribution.toml"), "hello = [\"a\"]\n");
        return model;
    }

    private static List<Path> entries(Path directory) throws java.io.IOException {
        try (Stream<Path> list = Files.list(directory)) {
            return list.toList();
        }
    }

    @Test
    void aConfirmedDeploymentSucceedsAndAnUnconfirmedOneIsPutBackByTheTargetWithExitFour() throws Exception {
        Run first = beckon(Map.of(), "deploy", model("v1").toString(), "--confirm-timeout", "20s");
        assertEquals(0, first.exitCode(), first.output());
        assertTrue(first.out().contains("[a] confirmed through a new SSH connection"), first.output());
        assertEquals("hello v1", TestServices.text(TestServices.greeting(port)));
        // The watchdog's wait ends with the confirmation and takes what it was armed with along (within a look, which a
        // loaded machine may stretch: a minute at most).
        Path confirm = dir.resolve("state-a").resolve("confirm");
        List<Path> left = List.of();
        for (int i = 0; i < 600 && !(left = entries(confirm)).isEmpty(); i++) {
            Thread.sleep(100);
        }
        assertEquals(List.of(), left, "nothing of a confirmed deployment's watchdog is left");

        // After the activation, just before the confirmation: sshd stops listening. The master connection and the
        // agent on it stay; the new connection that would confirm cannot be made.
        Path sshdPid = dir.resolve("ssh").resolve("sshd.pid");
        Run second = beckon(Map.of("BECKON_TEST_BEFORE_CONFIRM", "kill \"$(cat '" + sshdPid + "')\""),
                "deploy", model("v2").toString(), "--confirm-timeout", "3s");
        assertEquals(4, second.exitCode(), second.output());
        assertTrue(second.out().contains("Deployment not confirmed"), second.output());
        assertTrue(second.out().contains("done: the target runs what it ran before the deployment"),
                "beckon waited for the target's own record:\n" + second.output());
        assertEquals("hello v1", TestServices.text(TestServices.greeting(port)), "the target put itself back to v1");
        try (Stream<Path> records = Files.list(dir.resolve("state-a").resolve("confirm"))) {
            assertEquals(1, records.filter(file -> file.toString().endsWith(".rolled-back")).count());
        }
        Run generations = beckon(Map.of(), "generations");
        assertEquals(0, generations.exitCode(), generations.output());
        assertEquals(1, generations.out().lines().count(), "only generation 1 is recorded:\n" + generations.output());
        assertTrue(generations.out().startsWith("*   1 "), generations.output());
    }
}
