package dev.beckon.planner.cli;

import dev.beckon.activation.Launcher;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code beckon sandbox start|status|stop}: a private systemd user manager for machines where none
 * runs (containers, CI). Shell lines go to standard output, so {@code eval "$(beckon sandbox start)"}
 * points the shell at it; everything meant for people goes to standard error.
 */
@Command(name = "sandbox", description = "Run a private systemd user manager where none runs (containers, CI).",
        subcommands = {SandboxCommand.Start.class, SandboxCommand.Status.class, SandboxCommand.Stop.class})
final class SandboxCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** Where the sandbox lives unless {@code --dir} says otherwise. */
    static Path defaultDirectory() {
        String explicit = System.getenv("BECKON_SANDBOX");
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit);
        }
        String state = System.getenv("XDG_STATE_HOME");
        Path stateHome = state != null && !state.isEmpty() ? Path.of(state) : Path.of(System.getProperty("user.home"), ".local", "state");
        return stateHome.resolve("beckon").resolve("sandbox");
    }

    abstract static class Subcommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR",
                description = "Where the sandbox keeps its units, state and log (default: $BECKON_SANDBOX, else $XDG_STATE_HOME/beckon/sandbox).")
        Path directory;

        Path directory() {
            return directory != null ? directory : defaultDirectory();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        void printExports(SystemdUserManager manager) {
            manager.exports().forEach(out()::println);
            out().flush();
        }
    }

    @Command(name = "start", description = "Start the sandbox (if it is not running) and print the shell lines that use it.")
    static final class Start extends Subcommand {
        @Override
        public Integer call() throws IOException {
            Optional<SystemdUserManager> running = SystemdUserManager.attach(directory());
            if (running.isPresent()) {
                err().println("beckon sandbox: already running as pid " + running.get().pid() + " in " + running.get().directory());
                printExports(running.get());
                return ExitCodes.OK;
            }
            SystemdUserManager manager;
            try {
                manager = SystemdUserManager.start(directory());
            } catch (IllegalStateException e) {
                err().println("beckon sandbox: cannot start: " + e.getMessage());
                return ExitCodes.FAILED;
            }
            err().println("beckon sandbox: a private systemd user manager runs as pid " + manager.pid());
            err().println("  units: " + manager.unitDirectory());
            err().println("  log:   " + manager.logFile());
            // The hints repeat --dir: without it they would name the default sandbox, not this one.
            String dir = directory == null ? "" : " --dir " + Launcher.quote(directory.toString());
            err().println("  use it from your shell with: eval \"$(beckon sandbox start" + dir + ")\"; stop it with: beckon sandbox stop"
                    + dir);
            err().flush();
            printExports(manager);
            return ExitCodes.OK;
        }
    }

    @Command(name = "status", description = "Say whether the sandbox runs; exit 0 if it does, 1 if not.")
    static final class Status extends Subcommand {
        @Override
        public Integer call() throws IOException {
            Optional<SystemdUserManager> running = SystemdUserManager.attach(directory());
            if (running.isEmpty()) {
                err().println("beckon sandbox: not running (" + directory().toAbsolutePath() + ")");
                return ExitCodes.FAILED;
            }
            SystemdUserManager manager = running.get();
            err().println("beckon sandbox: running as pid " + manager.pid() + " with " + Counts.plural(manager.processes().size(), "process", "processes") + "; units in " + manager.unitDirectory());
            err().flush();
            printExports(manager);
            return ExitCodes.OK;
        }
    }

    @Command(name = "stop", description = "Stop the sandbox and every process that runs in it.")
    static final class Stop extends Subcommand {
        @Override
        public Integer call() throws IOException {
            Optional<SystemdUserManager> running = SystemdUserManager.attach(directory());
            if (running.isEmpty()) {
                err().println("beckon sandbox: not running (" + directory().toAbsolutePath() + "); nothing to stop");
                return ExitCodes.OK;
            }
            SystemdUserManager manager = running.get();
            int processes = manager.processes().size();
            manager.close();
            err().println("beckon sandbox: stopped pid " + manager.pid() + " and " + Counts.plural(processes, "process", "processes") + " in all");
            return ExitCodes.OK;
        }
    }
}
