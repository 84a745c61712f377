package dev.beckon.planner.cli;

/** What beckon's exit codes mean, the same for every subcommand. */
final class ExitCodes {
    /** Done, and all is as it should be. */
    static final int OK = 0;
    /** The input is wrong (an invalid model) or the job failed; nothing was left half done. */
    static final int FAILED = 1;
    /** The command line itself is wrong; for {@code plan --detailed-exitcode}: there are changes. */
    static final int USAGE = 2;
    static final int CHANGES = 2;
    /** A deployment failed and could not be fully undone: the targets are in between, its journal kept. */
    static final int NOT_UNDONE = 3;
    /**
     * An SSH target was not confirmed through a new connection after its activation and put itself back to what it ran
     * before, on its own; the other targets were undone, no generation was recorded.
     */
    static final int UNCONFIRMED = 4;

    private ExitCodes() {}

    /** Prints an error that stops a command, the way every command does, and returns {@link #FAILED}. */
    static int error(picocli.CommandLine.Model.CommandSpec spec, Exception e) {
        spec.commandLine().getErr().println("beckon: error: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return FAILED;
    }
}
