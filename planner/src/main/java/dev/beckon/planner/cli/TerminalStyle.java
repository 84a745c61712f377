package dev.beckon.planner.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What beckon's output may use beyond plain lines: colour for {@code +}, {@code -} and {@code ~}, and progress lines
 * updated in place. Both only when standard output is a terminal, so that logs, pipes and files get plain text;
 * colour also not when {@code NO_COLOR} is set (no-color.org), and neither on a {@code TERM=dumb} terminal.
 */
record TerminalStyle(boolean colour, boolean updatingLines, int width) {
    static final TerminalStyle PLAIN = new TerminalStyle(false, false, 0);

    /** How this process's standard output is, read once: every command of the process prints there. */
    static final TerminalStyle OF_STANDARD_OUTPUT = detect(System.getenv(), standardOutputIsATerminal());

    private static final String RESET = "\033[0m";
    /** A plan's or progress line's change symbol: indented, then {@code + }, {@code - } or {@code ~ }. */
    private static final Pattern CHANGE = Pattern.compile("(?m)^(\\s+(?:\\[[^\\]]+\\] )?)([+~-]) ");

    static TerminalStyle detect(Map<String, String> environment, boolean terminal) {
        boolean dumb = "dumb".equals(environment.get("TERM"));
        if (!terminal || dumb) {
            return PLAIN;
        }
        String noColour = environment.get("NO_COLOR");
        return new TerminalStyle(noColour == null || noColour.isEmpty(), true, width(environment.get("COLUMNS")));
    }

    /** {@code text} with each change symbol coloured: green +, red -, yellow ~. */
    String changes(String text) {
        if (!colour) {
            return text;
        }
        Matcher matcher = CHANGE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String symbol = matcher.group(2);
            String code = switch (symbol) {
                case "+" -> "\033[32m";
                case "-" -> "\033[31m";
                default -> "\033[33m";
            };
            matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(1) + code + symbol + RESET + " "));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /**
     * Whether file descriptor 1 is a terminal. The JDK only tells whether stdin and stdout both are
     * ({@link System#console()}); {@code beckon plan < /dev/null} on a terminal still deserves colour.
     */
    private static boolean standardOutputIsATerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    /** The terminal's width as the shell exported it; 80 columns, the old default, when it did not. */
    private static int width(String columns) {
        try {
            int width = columns == null ? 80 : Integer.parseInt(columns.trim());
            return width >= 20 ? width : 80;
        } catch (NumberFormatException e) {
            return 80;
        }
    }
}
