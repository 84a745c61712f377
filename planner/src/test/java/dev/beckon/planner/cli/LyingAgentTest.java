package dev.beckon.planner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.sandbox.SshHost;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target that lies: beckon reaches a real sshd, but in place of its agent runs a script that never greets,
 * greets and never answers, sends one endless line, or answers with forged text. beckon gives up within its
 * limits in one line, with the coordinator's memory bounded (it runs with a small heap), prints nothing a
 * target could use to forge its output, and leaves no SSH master or control directory behind, even when killed.
 */
class LyingAgentTest {
    @TempDir
    static Path dir;

    private static SystemdUserManager machine;
    private static SshHost host;
    private static Path model;

    @BeforeAll
    static void start() throws Exception {
        machine = SystemdUserManager.start(dir.resolve("machine"));
        host = SshHost.start(dir.resolve("ssh"), "127.0.0.2", machine);
        model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("infrastructure.toml"), """
                [targets.far]
                host = "%s"
                state-dir = "%s"
                [targets.far.containers.systemd-unit]
                journal-directory = "%s"
                """.formatted(host.destination(), dir.resolve("state"), machine.journalDirectory()));
        Files.writeString(model.resolve("services.toml"), """
                [services.svc]
                type = "systemd-unit"
                exec = ["/bin/sleep", "3600"]
                """);
        Files.writeString(model.resolve("distribution.toml"), "svc = [\"far\"]\n");
    }

    @AfterAll
    static void stop() {
        if (host != null) {
            host.close();
        }
        if (machine != null) {
            machine.close();
        }
    }

    /**
     * An ssh that is the real one, but for the agent's command, which becomes {@code agent} (run by the target's
     * shell): the target's sshd, its shell and everything before the agent are real.
     */
    private static Path sshRunning(String name, String agent) throws IOException {
        Path script = dir.resolve("fake-agent-" + name + ".sh");
        Files.writeString(script, "#!/bin/sh\n" + agent + "\n");
        Path ssh = dir.resolve("ssh-" + name);
        Files.writeString(ssh, String.join("\n", "#!/bin/bash",
                "last=\"${@: -1}\"",
                "if [[ \"$last\" == *TargetAgent* ]]; then",
                "    set -- \"${@:1:$#-1}\" " + "'sh " + script + "'",
                "fi",
                "exec ssh \"$@\"", ""));
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return ssh;
    }

    private static Process beckon(Path ssh, Path temporary, Map<String, String> limits, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + temporary,
                "-cp", System.getProperty("java.class.path"), BeckonCommand.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("BECKON_SSH_COMMAND", ssh + " -F " + host.clientConfig());
        builder.environment().put("BECKON_HOME", dir.resolve("home").toString());
        builder.environment().putAll(limits);
        return builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    }

    private static Run finish(Process process) throws Exception {
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("beckon did not finish in 300 s: " + out.getNow("") + err.getNow(""));
        }
        return new Run(process.exitValue(), out.get(), err.get());
    }

    private static String read(java.io.InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Run plan(String name, String agent, Map<String, String> limits) throws Exception {
        Path temporary = Files.createDirectories(dir.resolve("tmp-" + name));
        Run run = finish(beckon(sshRunning(name, agent), temporary, limits, "plan", model.toString()));
        assertEquals(1, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().startsWith("beckon: error: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(run.err().contains("OutOfMemoryError") || run.err().contains("\tat "), run.err());
        assertNoMasterLeft(temporary);
        return run;
    }

    /** No control directory, and no ssh process whose control path was in it. */
    private static void assertNoMasterLeft(Path temporary) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            List<Path> left;
            try (Stream<Path> files = Files.list(temporary)) {
                left = files.filter(f -> f.getFileName().toString().startsWith("beckon-ssh-")).toList();
            }
            List<ProcessHandle> masters = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().orElse("").contains("ControlPath=" + temporary)).toList();
            if (left.isEmpty() && masters.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("left behind: " + left + " " + masters.stream().map(p -> p.info().commandLine().orElse("?"))
                        .toList());
            }
            Thread.sleep(200);
        }
    }

    @Test
    void anAgentThatNeverGreetsIsGivenUpOnWithinTheGreetingLimit() throws Exception {
        Run run = plan("silent", "exec sleep 3600", Map.of("BECKON_AGENT_GREETING_TIMEOUT", "3s"));
        assertTrue(run.err().contains("far: beckon's agent did not answer greet within 3s (BECKON_AGENT_GREETING_TIMEOUT"),
                run.err());
    }

    @Test
    void anAgentThatNeverAnswersIsGivenUpOnWithinTheCallLimit() throws Exception {
        Run run = plan("mute", "printf '%s\\n' '{\"protocol\":1,\"pid\":1,\"host\":\"far\"}'; exec sleep 3600",
                Map.of("BECKON_AGENT_TIMEOUT", "3s"));
        assertTrue(run.err().contains("beckon's agent did not answer query within 3s (BECKON_AGENT_TIMEOUT sets that limit)"),
                run.err());
    }

    @Test
    void anEndlessLineIsCutOffWithMemoryBounded() throws Exception {
        // 200 MB without a newline, to a coordinator with a 96 MB heap.
        Run run = plan("endless", "printf '%s\\n' '{\"protocol\":1,\"pid\":1,\"host\":\"far\"}'; read request;"
                + " head -c 200000000 /dev/zero | tr '\\0' a; exec sleep 3600", Map.of());
        assertTrue(run.err().contains("beckon's agent ended: it sent a line longer than 4 MiB"), run.err());
    }

    @Test
    void forgedTextFromTheTargetIsShownEscaped() throws Exception {
        String forged = "{\"error\":{\"kind\":\"activation\",\"instance\":\"svc@far\",\"message\":\"no\\nDeployed generation 99"
                + "\\u001b[2J\\u2028Deployed generation 98\\u009b\"}}";
        Run run = plan("forger", "printf '%s\\n' '{\"protocol\":1,\"pid\":1,\"host\":\"far\"}'; while read request; do printf '%s\\n' '" + forged
                + "'; done", Map.of());
        assertTrue(run.err().contains("no\\nDeployed generation 99\\u001b[2J\\u2028Deployed generation 98\\u009b"), run.err());
        assertFalse(run.err().contains("\u001b") || run.err().contains("\u2028") || run.err().contains("\u009b"), run.err());
    }

    @Test
    void aKilledDeployLeavesNoMasterConnectionNorControlDirectory() throws Exception {
        Path temporary = Files.createDirectories(dir.resolve("tmp-killed"));
        Process process = beckon(sshRunning("stuck", "printf '%s\\n' '{\"protocol\":1,\"pid\":1,\"host\":\"far\"}'; exec sleep 3600"),
                temporary, Map.of(), "plan", model.toString());
        // Wait until the master is up (its control directory holds its socket), then kill beckon outright.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!hasControlSocket(temporary)) {
            assertTrue(process.isAlive() && System.nanoTime() < deadline, "beckon never opened its SSH connection: "
                    + (process.isAlive() ? "" : read(process.getErrorStream())));
            Thread.sleep(100);
        }
        process.destroyForcibly().waitFor();
        assertNoMasterLeft(temporary);
    }

    private static boolean hasControlSocket(Path temporary) throws IOException {
        try (Stream<Path> files = Files.walk(temporary)) {
            return files.anyMatch(f -> f.getFileName().toString().equals("master"));
        }
    }
}
