package dev.beckon.planner.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code beckon} command line. Subcommands return exit codes; only {@link #main} exits. */
@Command(
        name = "beckon",
        mixinStandardHelpOptions = true,
        // --help and --version on every subcommand too.
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = BeckonCommand.Version.class,
        description = "Declarative deployment of service-oriented systems, with services activated on demand.",
        subcommands = {ValidateCommand.class, PlanCommand.class, DeployCommand.class, GenerationsCommand.class,
                RollbackCommand.class, GcCommand.class, StatusCommand.class, GraphCommand.class, UnlockCommand.class,
                UndeployCommand.class, DiffCommand.class, ShellCommand.class, LogsCommand.class, VerifyCommand.class,
                SandboxCommand.class, KnobCommand.class,
                SnapshotCommand.class, SnapshotsCommand.class, RestoreCommand.class,
                ProfileCommand.class, ReconstructCommand.class,
                CommandLine.HelpCommand.class, CompletionNamesCommand.class})
public final class BeckonCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // Scripts ask this often; building the whole command model first (every subcommand's options, by
            // reflection) costs most of the start, and the answer needs none of it.
            for (String line : new Version().getVersion()) {
                System.out.println(line);
            }
            System.exit(ExitCodes.OK);
        }
        System.exit(commandLine().execute(args));
    }

    /**
     * The libraries (dbus-java, JGit) log through java.util.logging; their informational lines are
     * not for people running beckon. {@code BECKON_DEBUG=1} shows everything.
     */
    private static void quietLibraryLogs() {
        boolean debug = System.getenv("BECKON_DEBUG") != null && !System.getenv("BECKON_DEBUG").isEmpty();
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Level level = debug ? java.util.logging.Level.ALL : java.util.logging.Level.WARNING;
        root.setLevel(level);
        for (java.util.logging.Handler handler : root.getHandlers()) {
            handler.setLevel(level);
        }
    }

    /** The command line as {@link #main} runs it, for tests that run it in-process. */
    public static CommandLine commandLine() {
        quietLibraryLogs();
        // picocli's own exit codes already match ExitCodes: 2 for usage errors, 1 for failures.
        CommandLine commandLine = new CommandLine(new BeckonCommand());
        commandLine.setExecutionExceptionHandler(BeckonCommand::unexpected);
        return commandLine;
    }

    /**
     * A failure no command foresaw is a bug in beckon, but still one line for people, not a stack trace; the fuzz
     * tests look for these words. {@code BECKON_DEBUG=1} adds the trace.
     */
    private static int unexpected(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
        java.io.PrintWriter err = commandLine.getErr();
        if (e instanceof dev.beckon.planner.generations.GenerationsException) {
            // The profile repository's own failures name its directory and what is wrong, for people, wherever they arise.
            err.println("beckon: error: " + dev.beckon.models.Messages.printable(e.getMessage()));
            err.flush();
            return ExitCodes.FAILED;
        }
        err.println("beckon: error: internal error (" + e.getClass().getSimpleName() + ": "
                + dev.beckon.models.Messages.printable(String.valueOf(e.getMessage())) + "); this is a bug in beckon: please report"
                + " it with the command you ran (BECKON_DEBUG=1 shows where it happened)");
        String debug = System.getenv("BECKON_DEBUG");
        if (debug != null && !debug.isEmpty()) {
            e.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.FAILED;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version from the jar's manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = BeckonCommand.class.getPackage().getImplementationVersion();
            return new String[] {"beckon " + (version == null ? "(development build)" : version)};
        }
    }
}
