package dev.beckon.activation.inetd;

import dev.beckon.activation.Launcher;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * beckon's block of an inetd.conf: one line per instance between two marker lines, each line tagged
 * with {@code beckon-PROFILE-SERVICE} as the server's argv[0] (the launcher ignores it). Every line
 * outside the block, and every line inside it that carries another tag, is kept byte for byte. Pure:
 * the session reads and writes the file.
 */
final class InetdConf {
    static final String BEGIN = "# BEGIN beckon (managed: do not edit)";
    static final String END = "# END beckon";
    /** The rendered file's name: the entry is one line of the shared file. */
    static final String ENTRY_NAME = "inetd.conf";
    /** Connections per minute inetd may start servers for when {@code nowait}: xinetd's default rate, 50 a second. */
    static final int NOWAIT_STARTS_PER_MINUTE = 3_000;
    private static final int TAG_FIELD = 6;

    private InetdConf() {}

    /**
     * The instance's line and launcher.
     *
     * @throws IllegalArgumentException when inetd cannot run it (not on demand, not one TCP listener) or a
     *     value cannot be one word of inetd.conf
     */
    static Rendering render(ServiceInstance instance) {
        String name = SuperServerInstances.name(instance);
        ListenAddress.Inet listener = SuperServerInstances.listener(instance, "inetd");
        RenderedFile launcher = SuperServerInstances.launcher(instance, "inetd");
        String host;
        String protocol;
        if (listener.host().isEmpty()) {
            // One dual-stack socket, as systemd's ListenStream=PORT; plain tcp would make two, each with its own server.
            host = "*";
            protocol = "tcp46";
        } else if (listener.host().get().contains(":")) {
            host = "[" + listener.host().get() + "]";
            protocol = "tcp6";
        } else {
            host = listener.host().get();
            protocol = SuperServerInstances.isIpv4Literal(host) ? "tcp4" : "tcp";
        }
        boolean accept = instance.onDemand().orElseThrow().accept();
        String mode = accept ? "nowait." + NOWAIT_STARTS_PER_MINUTE : "wait." + SuperServerInstances.startsPerMinute(instance);
        String line = String.join(" ", host + ":" + listener.port(), "stream", protocol, mode, SuperServerInstances.user(instance),
                Launcher.path(instance).toString(), name);
        return new Rendering(List.of(new RenderedFile(ENTRY_NAME, line + "\n", false), launcher));
    }

    /** The tag of an entry line: its server's argv[0]; empty for comments and short lines. */
    static Optional<String> tag(String line) {
        String[] fields = fields(line);
        return fields.length > TAG_FIELD && !fields[0].startsWith("#") ? Optional.of(fields[TAG_FIELD]) : Optional.empty();
    }

    /** The server program an entry line names. */
    static Optional<String> server(String line) {
        String[] fields = fields(line);
        return fields.length > TAG_FIELD - 1 && !fields[0].startsWith("#") ? Optional.of(fields[TAG_FIELD - 1]) : Optional.empty();
    }

    private static String[] fields(String line) {
        String trimmed = line.strip();
        return trimmed.isEmpty() ? new String[0] : trimmed.split("[ \t]+");
    }

    /** The lines of beckon's block tagged {@code name}, as they are in the file. */
    static List<String> entries(String content, String name) {
        Lines lines = Lines.of(content);
        List<String> found = new ArrayList<>();
        lines.block().ifPresent(block -> {
            for (int i = block.begin() + 1; i < block.end(); i++) {
                if (tag(lines.text.get(i)).filter(name::equals).isPresent()) {
                    found.add(lines.text.get(i));
                }
            }
        });
        return found;
    }

    /**
     * The content with the entry tagged {@code name} being {@code line}: in place of the first line with
     * that tag (further ones go), else at the end of the block, else in a new block at the end of the file.
     */
    static String withEntry(String content, String name, String line) {
        Lines lines = Lines.of(content);
        Optional<Block> block = lines.block();
        if (block.isEmpty()) {
            lines.text.addAll(List.of(BEGIN, line, END));
            return lines.joined(true);
        }
        int position = -1;
        for (int i = block.get().end() - 1; i > block.get().begin(); i--) {
            if (tag(lines.text.get(i)).filter(name::equals).isPresent()) {
                lines.text.remove(i);
                position = i;
            }
        }
        if (position < 0) {
            position = lines.text.indexOf(END);
        }
        lines.text.add(position, line);
        return lines.joined(lines.endsWithNewline);
    }

    /** The content without the entries tagged {@code name}; without the block too, once it is empty. */
    static String withoutEntry(String content, String name) {
        Lines lines = Lines.of(content);
        Optional<Block> block = lines.block();
        if (block.isEmpty()) {
            return content;
        }
        for (int i = block.get().end() - 1; i > block.get().begin(); i--) {
            if (tag(lines.text.get(i)).filter(name::equals).isPresent()) {
                lines.text.remove(i);
            }
        }
        int begin = block.get().begin();
        if (lines.text.get(begin + 1).equals(END)) {
            lines.text.remove(begin + 1);
            lines.text.remove(begin);
        }
        return lines.joined(lines.endsWithNewline);
    }

    private record Block(int begin, int end) {}

    /** A file as lines without their newlines, and whether its last line had one. */
    private static final class Lines {
        final List<String> text;
        final boolean endsWithNewline;

        private Lines(List<String> text, boolean endsWithNewline) {
            this.text = text;
            this.endsWithNewline = endsWithNewline;
        }

        static Lines of(String content) {
            if (content.isEmpty()) {
                return new Lines(new ArrayList<>(), true);
            }
            boolean newline = content.endsWith("\n");
            String body = newline ? content.substring(0, content.length() - 1) : content;
            return new Lines(new ArrayList<>(Arrays.asList(body.split("\n", -1))), newline);
        }

        /**
         * beckon's block, when there is one.
         *
         * @throws IllegalStateException when the markers are not one BEGIN followed by one END
         */
        Optional<Block> block() {
            List<Integer> begins = new ArrayList<>();
            List<Integer> ends = new ArrayList<>();
            for (int i = 0; i < text.size(); i++) {
                if (text.get(i).equals(BEGIN)) {
                    begins.add(i);
                } else if (text.get(i).equals(END)) {
                    ends.add(i);
                }
            }
            if (begins.isEmpty() && ends.isEmpty()) {
                return Optional.empty();
            }
            if (begins.size() != 1 || ends.size() != 1 || ends.get(0) < begins.get(0)) {
                throw new IllegalStateException("its markers are broken: beckon's block must be one line \"" + BEGIN + "\" (found at lines "
                        + lineNumbers(begins) + ") followed by one line \"" + END + "\" (found at lines " + lineNumbers(ends)
                        + "); beckon will not guess which lines are its own, so mend them by hand");
            }
            return Optional.of(new Block(begins.get(0), ends.get(0)));
        }

        private static String lineNumbers(List<Integer> indexes) {
            return indexes.isEmpty() ? "none" : String.join(", ", indexes.stream().map(i -> String.valueOf(i + 1)).toList());
        }

        /**
         * The lines joined again. A file that lacked its last newline keeps lacking it, unless beckon
         * appended its block after that line, which needs the line ended.
         */
        String joined(boolean newline) {
            if (text.isEmpty()) {
                return "";
            }
            String body = String.join("\n", text);
            return newline || text.get(text.size() - 1).equals(END) ? body + "\n" : body;
        }
    }
}
