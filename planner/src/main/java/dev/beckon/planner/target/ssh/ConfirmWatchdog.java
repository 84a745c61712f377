package dev.beckon.planner.target.ssh;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModules;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.target.LocalTargetSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Confirm or roll back (deploy-rs's "magic rollback"), on an SSH target. Once a deployment has activated what it
 * changes there, the agent arms it: it writes what the target ran before and runs now to
 * {@code STATE/confirm/TOKEN.json} and starts the watchdog as a process of its own, detached from the SSH session
 * (its own session, reparented away from sshd, no pipe to it), so that it goes on when the deployer, the master
 * connection or sshd itself is gone: a shell that waits ({@link #WAITING}) and, at a deadline not confirmed, this
 * class. The deployer then confirms through a NEW SSH connection, which proves that it can still reach the target after
 * the change.
 *
 * <p>Who decides is whoever first makes the directory {@code TOKEN.decision} (mkdir is atomic): the deployer's new
 * connection, which confirms, or this watchdog at the deadline, which then puts the target back by itself, from the
 * entries in the token's file (the previous generation's instances are still in the target's store, and their
 * instance directories are kept), and records in {@code TOKEN.rolled-back} that it did and how it went.
 */
public final class ConfirmWatchdog {
    static final String DIRECTORY = "confirm";

    /** What an armed confirmation holds: enough to put the target back without the deployer. */
    record Armed(String profile, List<ManifestEntry> current, List<ManifestEntry> previous, long deadlineMillis) {}

    /** How the waiting shell shows in {@code ps}. */
    static final String WAITING_NAME = "beckon-confirm-watchdog";

    /**
     * The watchdog's wait, a shell's: a deployment that is confirmed (nearly all) ends it within a look, and so never
     * starts a JVM on the target; only a deadline that passes unconfirmed starts this class, which decides and puts the
     * target back. A JVM for every wait cost each deployment half a second of a target's processor (Jackson, the
     * class loading) just as the deployer's new connection to it is made, for each target at once. Arguments: the
     * deadline in seconds since the epoch, rounded up; the decision directory; the armed file and the log, which go
     * with a confirmation; then the watchdog's command. A {@code sleep} that takes whole seconds only still waits.
     */
    static final String WAITING = String.join("\n",
            "deadline=$1 decision=$2 armed=$3 log=$4",
            "shift 4",
            "while [ \"$(date +%s)\" -lt \"$deadline\" ]; do",
            "    if [ -d \"$decision\" ]; then rm -f -- \"$armed\" \"$log\"; rmdir -- \"$decision\"; exit 0; fi",
            "    sleep 0.2 2>/dev/null || sleep 1",
            "done",
            "exec \"$@\"");

    private ConfirmWatchdog() {}

    /** The agent's part: writes the token's file and starts the watchdog, detached. */
    static void arm(String profile, Path stateDirectory, String token, List<ManifestEntry> current, List<ManifestEntry> previous,
            long timeoutMillis) throws IOException {
        requireToken(token);
        Path directory = stateDirectory.resolve(DIRECTORY);
        SafeDirectories.ensure(directory);
        Path file = directory.resolve(token + ".json");
        Armed armed = new Armed(profile, current, previous, System.currentTimeMillis() + timeoutMillis);
        AtomicFiles.write(file, AgentProtocol.JSON.writeValueAsString(armed) + "\n", AtomicFiles.READABLE);
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = directory.resolve(token + ".log");
        // sh starts it in the background and ends: the watchdog is then nobody's child in the SSH session's tree.
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                "waiting=$1; shift; setsid /bin/sh -c \"$waiting\" " + WAITING_NAME + " \"$@\" </dev/null >>\"$0\" 2>&1 &",
                log.toString(), WAITING, String.valueOf(Math.floorDiv(armed.deadlineMillis() + 999, 1000)),
                directory.resolve(token + ".decision").toString(), file.toString(), log.toString(),
                java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ConfirmWatchdog.class.getName(), file.toString()));
        try {
            Process starter = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (starter.waitFor() != 0) {
                throw new IOException("cannot start the confirmation watchdog (exit " + starter.exitValue() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the confirmation watchdog", e);
        }
    }

    /** What {@code TOKEN.rolled-back} says, one line each; empty while nothing was rolled back. */
    static List<String> outcome(Path stateDirectory, String token) throws IOException {
        requireToken(token);
        Path record = stateDirectory.resolve(DIRECTORY).resolve(token + ".rolled-back");
        return Files.exists(record) ? Files.readAllLines(record, StandardCharsets.UTF_8) : List.of();
    }

    /** The shell line the deployer runs over its new connection: prints "confirmed", or "too late" when the watchdog decided. */
    static String confirmScript(Path stateDirectory, String token) {
        requireToken(token);
        String decision = dev.beckon.planner.target.ShellWords.quote(stateDirectory.resolve(DIRECTORY).resolve(token + ".decision").toString());
        return "if mkdir " + decision + " 2>/dev/null; then echo confirmed; else echo 'too late'; fi";
    }

    private static void requireToken(String token) {
        if (!token.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not a confirmation token: " + token);
        }
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String name = file.getFileName().toString();
        Path directory = file.getParent();
        String token = name.substring(0, name.length() - ".json".length());
        Armed armed = AgentProtocol.JSON.readValue(Files.readAllBytes(file), new TypeReference<Armed>() {});
        Path decision = directory.resolve(token + ".decision");
        long left;
        // A confirmation ends the wait at once: no watchdog outlives its deployment by more than a look. Started by the
        // waiting shell at the deadline, this finds it passed (but for a clock that went back).
        while ((left = armed.deadlineMillis() - System.currentTimeMillis()) > 0 && !Files.exists(decision)) {
            Thread.sleep(Math.min(left, 200));
        }
        try {
            Files.createDirectory(decision);
        } catch (FileAlreadyExistsException confirmed) {
            Files.deleteIfExists(file);
            Files.deleteIfExists(directory.resolve(token + ".log"));
            Files.deleteIfExists(decision);
            Runtime.getRuntime().halt(0);
        }
        List<String> lines = new ArrayList<>();
        lines.add("not confirmed by " + Instant.ofEpochMilli(armed.deadlineMillis()) + ": put back by the target itself at "
                + Instant.now());
        try {
            rollBack(armed, lines);
            lines.add("done: the target runs what it ran before the deployment");
        } catch (ActivationException | RuntimeException e) {
            lines.add("FAILED: " + e.getMessage());
        }
        AtomicFiles.write(directory.resolve(token + ".rolled-back"), String.join("\n", lines) + "\n", AtomicFiles.READABLE);
        System.err.println("beckon confirmation watchdog: " + String.join("; ", lines));
        // Library threads (D-Bus) must not keep it alive.
        Runtime.getRuntime().halt(0);
    }

    /**
     * Puts the target back: what runs now and did not run before goes (dependants first), what ran before and differs is
     * installed again, one batch per module, and activated in its order. What did not change is left alone.
     */
    private static void rollBack(Armed armed, List<String> lines) throws ActivationException {
        try (LocalTargetSession session = new LocalTargetSession(armed.profile(), ActivationModules::forType)) {
            List<ManifestEntry> current = new ArrayList<>(armed.current());
            List<ManifestEntry> back = armed.previous().stream().filter(entry -> !current.contains(entry)).toList();
            List<ManifestEntry> going = current.stream().filter(entry -> !armed.previous().contains(entry)).toList();
            for (int i = going.size() - 1; i >= 0; i--) {
                session.deactivate(going.get(i));
                lines.add("deactivated " + going.get(i).id());
            }
            session.flush();
            Map<String, List<ManifestEntry>> batches = new LinkedHashMap<>();
            back.forEach(entry -> batches.computeIfAbsent(LocalTargetSession.key(entry), k -> new ArrayList<>()).add(entry));
            for (List<ManifestEntry> batch : batches.values()) {
                session.install(batch);
            }
            session.flush();
            for (ManifestEntry entry : back) {
                session.activate(entry);
                lines.add("activated " + entry.id() + " as it was");
            }
            session.flush();
        }
    }
}
