package dev.beckon.activation.systemd;

import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code systemd-analyze security}'s exposure score of a service unit as beckon would write it, analysed offline on
 * this machine: no target or manager is asked, so it works for targets over SSH alike. The score is systemd's own for
 * the unit file (0 confined to 10 exposed); it matches what the manager reports for the loaded unit (checked against
 * the sandbox's user manager and, for system units, a root manager). A user unit is analysed with {@code --user},
 * which wants a runtime directory: it gets a private empty one.
 */
public final class SecurityExposure {
    private static final Pattern OVERALL = Pattern.compile("Overall exposure level for \\S+: ([0-9]+\\.[0-9]) ([A-Z]+)");
    private static final long TIMEOUT_SECONDS = 30;

    private SecurityExposure() {}

    /** Whether {@code name} is a unit systemd-analyze scores: services only (sockets have no process to confine). */
    public static boolean scores(String name) {
        return name.endsWith(".service");
    }

    /**
     * The score and systemd's word for it, {@code "1.9 OK"}; or why there is none, in words
     * ({@code "unknown: systemd-analyze is not installed here"}). Never throws for a failed analysis.
     */
    public static String of(String unitName, String content, boolean userScope) {
        Path directory = null;
        try {
            directory = Files.createTempDirectory("beckon-exposure", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Path unit = directory.resolve(unitName);
            Files.writeString(unit, content, StandardCharsets.UTF_8);
            Path runtime = Files.createDirectory(directory.resolve("runtime"));
            ProcessBuilder builder = new ProcessBuilder(userScope
                    ? new String[] {"systemd-analyze", "--user", "security", "--offline=true", "--no-pager", unit.toString()}
                    : new String[] {"systemd-analyze", "security", "--offline=true", "--no-pager", unit.toString()})
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().put("XDG_RUNTIME_DIR", runtime.toString());
            builder.environment().put("SYSTEMD_COLORS", "0");
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                return "unknown: systemd-analyze is not installed here (" + e.getMessage() + ")";
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "unknown: systemd-analyze did not answer within " + TIMEOUT_SECONDS + " s";
            }
            Matcher overall = OVERALL.matcher(output);
            if (process.exitValue() != 0 || !overall.find()) {
                String last = output.strip().lines().reduce((a, b) -> b).orElse("no output");
                return "unknown: systemd-analyze exited with " + process.exitValue() + ": " + Messages.printable(last);
            }
            return overall.group(1) + " " + overall.group(2);
        } catch (IOException e) {
            return "unknown: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown: interrupted";
        } finally {
            if (directory != null) {
                // systemd-analyze may leave files in the runtime directory; the walk follows no symlink.
                try (java.util.stream.Stream<Path> all = Files.walk(directory)) {
                    for (Path path : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(path);
                    }
                } catch (IOException ignored) {
                    // A temporary directory left behind costs nothing; the score is what was asked for.
                }
            }
        }
    }
}
