package dev.beckon.planner.target.ssh;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.TargetHost;
import dev.beckon.planner.target.ShellWords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One multiplexed SSH connection to a target, through the system's OpenSSH client so that keys, agents,
 * jump hosts and known_hosts work as the user has them. A master connection (ControlMaster) is opened
 * once; every command after it rides on it. Host key checking is never turned off here.
 *
 * <p>{@code BECKON_SSH_COMMAND} replaces {@code ssh}, with options, as {@code GIT_SSH_COMMAND} does for git:
 * {@code BECKON_SSH_COMMAND="ssh -F ~/.ssh/deploy_config"}. It is split at white space.
 */
final class SshConnection implements AutoCloseable {
    private static final long CONNECT_SECONDS = 60;
    /** How long the master stays without a session: the gaps between beckon's commands are far shorter. */
    static final String CONTROL_PERSIST = "120s";

    private final String target;
    private final List<String> base;
    private final Path controlDirectory;

    private SshConnection(String target, List<String> base, Path controlDirectory) {
        this.target = target;
        this.base = base;
        this.controlDirectory = controlDirectory;
    }

    /**
     * Opens the master connection.
     *
     * @throws ActivationException naming the target and quoting SSH's own message when it cannot connect
     */
    static SshConnection open(String target, TargetHost host, Map<String, String> environment) throws ActivationException {
        Path controlDirectory;
        try {
            controlDirectory = Files.createTempDirectory("beckon-ssh-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new ActivationException(target, "cannot make a directory for the SSH control socket: " + e.getMessage(), e);
        }
        List<String> base = new ArrayList<>(Arrays.asList(environment.getOrDefault("BECKON_SSH_COMMAND", "ssh").strip().split("\\s+")));
        base.addAll(List.of("-o", "BatchMode=yes", "-o", "ControlPath=" + controlDirectory.resolve("master")));
        host.port().ifPresent(port -> base.addAll(List.of("-p", String.valueOf(port))));
        base.add(host.user().map(user -> user + "@").orElse("") + host.address());
        SshConnection connection = new SshConnection(target, List.copyOf(base), controlDirectory);
        List<String> master = new ArrayList<>(base.subList(0, base.size() - 1));
        // The master outlives its last session by CONTROL_PERSIST at most, even when beckon is killed and its reaper
        // with it; the reaper (below) ends it at once when beckon goes, and removes the directory.
        master.addAll(List.of("-o", "ControlMaster=yes", "-o", "ControlPersist=" + CONTROL_PERSIST, "-N", "-f",
                base.get(base.size() - 1)));
        Path log = controlDirectory.resolve("master.log");
        try {
            // Before the master: whenever this process dies from here on, the master and the directory go with it.
            connection.startReaper();
            Process process = new ProcessBuilder(master).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!process.waitFor(CONNECT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new ActivationException(target, "cannot reach " + describe(host) + " over SSH: no answer within "
                        + CONNECT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new ActivationException(target, "cannot reach " + describe(host) + " over SSH: "
                        + dev.beckon.models.Messages.printable(Files.readString(log, StandardCharsets.UTF_8).strip().replace("\r", "")));
            }
            return connection;
        } catch (IOException e) {
            connection.close();
            throw new ActivationException(target, "cannot run " + base.get(0) + " to reach " + describe(host) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.close();
            throw new ActivationException(target, "interrupted while connecting to " + describe(host), e);
        } catch (ActivationException e) {
            connection.close();
            throw e;
        }
    }

    private static String describe(TargetHost host) {
        return host.toString();
    }

    /** A command line that runs {@code words} on the target, each word quoted for its shell. */
    ProcessBuilder command(List<String> words) {
        List<String> command = new ArrayList<>(base);
        command.add(String.join(" ", words.stream().map(ShellWords::quote).toList()));
        return new ProcessBuilder(command);
    }

    /** A command line that runs a shell script on the target (with {@code sh -c}). */
    ProcessBuilder script(String script) {
        return command(List.of("sh", "-c", script));
    }

    /**
     * Runs a script on the target, feeding it {@code input} when given.
     *
     * @return its standard output
     * @throws ActivationException with its standard error when it fails
     */
    String run(String what, String script, Process input) throws ActivationException {
        try {
            ProcessBuilder builder = script(script);
            Path err = Files.createTempFile(controlDirectory, "err", ".txt");
            builder.redirectError(err.toFile());
            if (input == null) {
                builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            }
            Process process = builder.start();
            Thread feeder = null;
            if (input != null) {
                feeder = new Thread(() -> {
                    try (var to = process.getOutputStream(); var from = input.getInputStream()) {
                        from.transferTo(to);
                    } catch (IOException ignored) {
                        // The remote side ended early; its exit status says why.
                    }
                }, "beckon-ssh-feeder");
                feeder.start();
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = process.waitFor();
            if (feeder != null) {
                feeder.join();
                if (input.waitFor() != 0) {
                    throw new ActivationException(target, what + " failed on this machine: "
                            + new String(input.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
                }
            }
            String errors = Files.readString(err, StandardCharsets.UTF_8).strip();
            Files.deleteIfExists(err);
            if (status != 0) {
                throw new ActivationException(target, what + " failed (exit " + status + "): "
                        + dev.beckon.models.Messages.printable(errors));
            }
            return out;
        } catch (IOException e) {
            throw new ActivationException(target, what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(target, "interrupted during " + what, e);
        }
    }

    /**
     * Copies the file {@code remote} on the target into the new file {@code local} here, as it is; a link or anything
     * but a regular file there is refused, as the target's agent would refuse it.
     *
     * @throws ActivationException with the target's words when it cannot be read
     */
    void fetch(String what, String remote, Path local) throws ActivationException {
        String script = String.join("\n",
                "file=" + ShellWords.quote(remote),
                "if [ -L \"$file\" ] || [ ! -f \"$file\" ]; then echo \"$file is not a regular file\" >&2; exit 1; fi",
                "exec cat -- \"$file\"");
        try {
            ProcessBuilder builder = script(script);
            Path err = Files.createTempFile(controlDirectory, "err", ".txt");
            builder.redirectError(err.toFile());
            builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            // A new file, not one someone else put there: the caller's directory is its own.
            Files.createFile(local, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            builder.redirectOutput(local.toFile());
            int status = builder.start().waitFor();
            String errors = Files.readString(err, StandardCharsets.UTF_8).strip();
            Files.deleteIfExists(err);
            if (status != 0) {
                throw new ActivationException(target, what + " failed (exit " + status + "): " + dev.beckon.models.Messages.printable(errors));
            }
        } catch (IOException e) {
            throw new ActivationException(target, what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(target, "interrupted during " + what, e);
        }
    }

    /**
     * Runs a shell script on the target through a connection of its own, not the master's: it proves that the target
     * can be reached now, as a new operator session would, after a change to its sshd or firewall.
     *
     * @return its standard output
     * @throws ActivationException with SSH's words when it cannot connect or the script fails
     */
    String runOverNewConnection(String what, String script, long connectSeconds) throws ActivationException {
        List<String> command = new ArrayList<>();
        for (String word : base) {
            command.add(word.startsWith("ControlPath=") ? "ControlPath=none" : word);
        }
        command.addAll(command.size() - 1, List.of("-o", "ControlMaster=no", "-o", "ConnectTimeout=" + connectSeconds));
        command.add(String.join(" ", List.of("sh", "-c", script).stream().map(ShellWords::quote).toList()));
        try {
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            process.getOutputStream().close();
            var errors = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return String.valueOf(e.getMessage());
                }
            });
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = process.waitFor();
            if (status != 0) {
                throw new ActivationException(target, what + " failed (exit " + status + "): "
                        + dev.beckon.models.Messages.printable(errors.join().strip().replace("\r", "")));
            }
            return out;
        } catch (IOException e) {
            throw new ActivationException(target, what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationException(target, "interrupted during " + what, e);
        }
    }

    /**
     * A shell that outlives this process, detached from it (its own session, no pipes to it): once this process is
     * gone, however it ended, it stops the master connection and removes the control directory. It ends by itself
     * when {@link #close} removed the directory first.
     */
    private void startReaper() throws IOException {
        List<String> command = new ArrayList<>(List.of("setsid", "sh", "-c", String.join("\n",
                "pid=$1; directory=$2; shift 2",
                "while kill -0 \"$pid\" 2>/dev/null && [ -d \"$directory\" ]; do sleep 1; done",
                "[ -d \"$directory\" ] || exit 0",
                "\"$@\" >/dev/null 2>&1",
                "rm -rf \"$directory\""),
                "beckon-ssh-reaper", String.valueOf(ProcessHandle.current().pid()), controlDirectory.toString()));
        command.addAll(exitCommand());
        new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private List<String> exitCommand() {
        List<String> exit = new ArrayList<>(base.subList(0, base.size() - 1));
        exit.addAll(List.of("-O", "exit", base.get(base.size() - 1)));
        return exit;
    }

    /** Closes the master connection and removes its socket's directory. */
    @Override
    public void close() {
        try {
            Process process = new ProcessBuilder(exitCommand()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // No master to stop.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.list(controlDirectory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(controlDirectory);
        } catch (IOException e) {
            // A temporary directory left behind; nothing in it matters once the master is gone.
        }
    }
}
