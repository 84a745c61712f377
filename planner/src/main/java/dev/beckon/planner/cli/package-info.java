/**
 * The {@code beckon} command line: one picocli command per subcommand, exit codes, progress output.
 * Commands parse, call the stages and print; they hold no deployment logic of their own.
 */
package dev.beckon.planner.cli;
