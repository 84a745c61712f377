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
        description = "Declarative deployment of service-oriented systems, with services activated on demand.")
public final class BeckonCommand implements Runnable {
    /**
     * The subcommands, in the order {@code --help} lists them. They are added by {@link #subcommand}, not named in
     * the annotation: picocli reads every named class's options by reflection (and with them the classes of their
     * fields) before it parses anything, so a run of one command would load every command's classes.
     */
    static final java.util.List<String> SUBCOMMANDS = java.util.List.of("validate", "plan", "deploy", "generations",
            "rollback", "gc", "status", "graph", "unlock", "undeploy", "diff", "shell", "logs", "verify", "sandbox", "knob",
            "snapshot", "snapshots", "restore", "profile", "reconstruct", "help", "complete-names");

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
        System.exit(commandLine(args).execute(args));
    }

    /** The whole command line, every subcommand in it: for tests that run it in-process, the manual and the completion. */
    public static CommandLine commandLine() {
        return commandLine(SUBCOMMANDS);
    }

    /**
     * The command line {@link #main} runs for {@code args}: when they start with a subcommand's name, only that
     * subcommand is in it, the one picocli can reach; anything else ({@code --help}, {@code help}, a misspelt
     * name, nothing) needs the list of them all, so gets them all.
     */
    static CommandLine commandLine(String[] args) {
        boolean one = args.length > 0 && SUBCOMMANDS.contains(args[0]) && !args[0].equals("help");
        return commandLine(one ? java.util.List.of(args[0]) : SUBCOMMANDS);
    }

    private static CommandLine commandLine(java.util.List<String> subcommands) {
        LibraryLogs.configure(System.getenv());
        // picocli's own exit codes already match ExitCodes: 2 for usage errors, 1 for failures.
        CommandLine commandLine = new CommandLine(new BeckonCommand());
        for (String name : subcommands) {
            commandLine.addSubcommand(name, subcommand(name));
        }
        commandLine.setExecutionExceptionHandler(BeckonCommand::unexpected);
        return commandLine;
    }

    /** A new instance of the subcommand {@code name}; only the one created is loaded. */
    static Object subcommand(String name) {
        return switch (name) {
            case "validate" -> new ValidateCommand();
            case "plan" -> new PlanCommand();
            case "deploy" -> new DeployCommand();
            case "generations" -> new GenerationsCommand();
            case "rollback" -> new RollbackCommand();
            case "gc" -> new GcCommand();
            case "status" -> new StatusCommand();
            case "graph" -> new GraphCommand();
            case "unlock" -> new UnlockCommand();
            case "undeploy" -> new UndeployCommand();
            case "diff" -> new DiffCommand();
            case "shell" -> new ShellCommand();
            case "logs" -> new LogsCommand();
            case "verify" -> new VerifyCommand();
            case "sandbox" -> new SandboxCommand();
            case "knob" -> new KnobCommand();
            case "snapshot" -> new SnapshotCommand();
            case "snapshots" -> new SnapshotsCommand();
            case "restore" -> new RestoreCommand();
            case "profile" -> new ProfileCommand();
            case "reconstruct" -> new ReconstructCommand();
            case "help" -> new CommandLine.HelpCommand();
            case "complete-names" -> new CompletionNamesCommand();
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
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
