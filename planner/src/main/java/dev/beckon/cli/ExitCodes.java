package dev.beckon.cli;

/** What beckon's exit codes mean, the same for every subcommand. */
final class ExitCodes {
    /** Done, and all is as it should be. */
    static final int OK = 0;
    /** The input is wrong (an invalid model) or the job failed; nothing was left half done. */
    static final int FAILED = 1;
    /** The command line itself is wrong. */
    static final int USAGE = 2;

    private ExitCodes() {}
}
