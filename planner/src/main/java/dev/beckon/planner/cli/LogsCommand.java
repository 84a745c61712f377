package dev.beckon.planner.cli;

import dev.beckon.activation.InstanceLog;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code beckon logs SERVICE}: the log of each instance of a deployed service, on every target it runs on (over
 * SSH through beckon's agent there), each line prefixed with its target: the journal of its units for systemd,
 * the launcher's log file for inetd and xinetd, what an external module's {@code logs} verb prints.
 */
@Command(name = "logs", description = {"Show the log of a deployed service on every target it runs on (over SSH for a remote"
        + " one), each line prefixed with [TARGET]: its units' journal (systemd), its servers' log file (inetd, xinetd), what"
        + " an external module's logs verb prints.", "With -f, go on showing new lines until interrupted (Ctrl-C)."})
final class LogsCommand implements Callable<Integer> {
    /** How many lines one read while following may bring: more than a second's worth of any sane service. */
    private static final int FOLLOW_LINES = 10_000;
    private static final int MOST_LINES = 100_000;
    private static final long FOLLOW_INTERVAL_MILLIS = 1_000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVICE", description = "A service of the profile's current generation.")
    String service;

    @Option(names = "--target", paramLabel = "TARGET", description = "Only its instance on this target.")
    String target;

    @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20",
            description = "How many of the last lines to show per instance (default: ${DEFAULT-VALUE}).")
    int lines;

    @Option(names = {"-f", "--follow"}, description = "Go on showing new lines as they come, until interrupted.")
    boolean follow;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (lines < 1 || lines > MOST_LINES) {
            return ExitCodes.error(spec, new PlanningException("-n " + lines + " is out of range: give 1 to " + MOST_LINES + " lines"));
        }
        try (Deployments deployments = profile.open(err)) {
            List<ManifestEntry> instances = instances(deployments.recorded(), deployments.profile());
            Map<ManifestEntry, Optional<String>> positions = new LinkedHashMap<>();
            boolean failed = false;
            for (ManifestEntry entry : instances) {
                try {
                    InstanceLog log = deployments.log(entry, lines, Optional.empty());
                    print(out, err, entry, log);
                    positions.put(entry, Optional.of(log.position()));
                } catch (PlanningException e) {
                    err.println("beckon: error: " + e.getMessage());
                    failed = true;
                }
                out.flush();
                err.flush();
            }
            while (follow && !positions.isEmpty()) {
                Thread.sleep(FOLLOW_INTERVAL_MILLIS);
                for (Map.Entry<ManifestEntry, Optional<String>> followed : positions.entrySet()) {
                    InstanceLog log = deployments.log(followed.getKey(), FOLLOW_LINES, followed.getValue());
                    log.lines().forEach(line -> out.println("[" + followed.getKey().target() + "] " + line));
                    followed.setValue(Optional.of(log.position()));
                }
                out.flush();
            }
            return failed ? ExitCodes.FAILED : ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.FAILED;
        }
    }

    private static void print(PrintWriter out, PrintWriter err, ManifestEntry entry, InstanceLog log) {
        log.lines().forEach(line -> out.println("[" + entry.target() + "] " + line));
        if (log.lines().isEmpty() && !log.note().isEmpty()) {
            err.println("beckon logs: " + entry.id() + ": " + log.note());
        }
    }

    /** The instances of the service, on the target when one is named; a one-line error when there are none. */
    private List<ManifestEntry> instances(Manifest current, String profileName) throws PlanningException {
        List<ManifestEntry> instances = current.entries().stream().filter(e -> e.service().equals(service)).toList();
        if (instances.isEmpty()) {
            List<String> deployed = current.entries().stream().map(ManifestEntry::service).distinct().sorted().toList();
            throw new PlanningException("service " + service + " is not deployed in profile " + profileName + " ("
                    + (deployed.isEmpty() ? "it runs nothing" : "deployed: " + String.join(", ", deployed)) + ")");
        }
        if (target == null) {
            return instances;
        }
        if (!current.targets().containsKey(target)) {
            throw new PlanningException("profile " + profileName + " has no target " + target + " (its targets: "
                    + String.join(", ", current.targets().keySet()) + ")");
        }
        List<ManifestEntry> there = new ArrayList<>(instances.stream().filter(e -> e.target().equals(target)).toList());
        if (there.isEmpty()) {
            throw new PlanningException("service " + service + " does not run on target " + target + "; it runs on "
                    + String.join(", ", instances.stream().map(ManifestEntry::target).toList()));
        }
        return there;
    }
}
