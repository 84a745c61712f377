package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.ClassDataArchive;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.activation.InstanceStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares what should run with what runs: the record of the last deployment, and what the targets
 * report now, so that a unit edited or removed by hand is a change, not trusted away.
 */
public final class Planner {
    private Planner() {}

    /**
     * @param live what each instance's module reports now, by {@code SERVICE@TARGET}, for the recorded
     *     instances that the desired manifest keeps unchanged; missing entries are taken as healthy
     */
    public static Plan plan(Manifest desired, Manifest recorded, Map<String, InstanceStatus> live) {
        List<Change> changes = new ArrayList<>();
        // Looked up by id for every instance: an index keeps planning linear in the number of instances.
        Map<String, ManifestEntry> desiredById = byId(desired);
        Map<String, ManifestEntry> recordedById = byId(recorded);
        List<ManifestEntry> obsolete = new ArrayList<>(recorded.entries());
        obsolete.removeIf(r -> desiredById.containsKey(r.id()));
        for (int i = obsolete.size() - 1; i >= 0; i--) {
            ManifestEntry gone = obsolete.get(i);
            changes.add(new Change(Action.DEACTIVATE, gone.target(), gone.service(), Optional.empty(), Optional.of(gone),
                    List.of("no longer in the model")));
        }
        for (ManifestEntry wanted : desired.entries()) {
            Optional<ManifestEntry> before = Optional.ofNullable(recordedById.get(wanted.id()));
            if (before.isEmpty()) {
                changes.add(new Change(Action.ACTIVATE, wanted.target(), wanted.service(), Optional.of(wanted), Optional.empty(),
                        List.of()));
                continue;
            }
            List<String> moved = sessionChanges(before.get(), wanted);
            if (!moved.isEmpty()) {
                changes.add(new Change(Action.REPLACE, wanted.target(), wanted.service(), Optional.of(wanted), before, moved));
                continue;
            }
            List<String> reasons = differences(before.get(), wanted);
            InstanceStatus status = live.get(wanted.id());
            if (reasons.isEmpty()) {
                if (status != null && !status.isHealthy()) {
                    reasons = drift(status);
                }
            } else if (status != null && status.activity() == InstanceStatus.Activity.FAILED) {
                // The deploy that changes it also resets its failed state; the plan says both.
                reasons.add(failed(status));
            }
            if (!reasons.isEmpty()) {
                changes.add(new Change(Action.CHANGE, wanted.target(), wanted.service(), Optional.of(wanted), before, reasons));
            }
        }
        return new Plan(desired, recorded, changes);
    }

    /**
     * The plan that brings targets left in between by an interrupted deployment back to {@code back}. Any
     * instance of either manifest may be in either version, so it asks the targets: an instance of
     * {@code back} that runs as recorded is left alone, one that does not is put back; an instance only the
     * interrupted deployment had is removed wherever a trace of it is found.
     *
     * @param liveBack        what the targets report for each instance of {@code back}
     * @param liveInterrupted what they report for each instance of {@code interrupted}
     */
    public static Plan recovery(Manifest back, Manifest interrupted, Map<String, InstanceStatus> liveBack,
            Map<String, InstanceStatus> liveInterrupted) {
        List<ManifestEntry> mayBeThere = new ArrayList<>(interrupted.entries());
        Map<String, ManifestEntry> interruptedById = byId(interrupted);
        back.entries().stream().filter(e -> !interruptedById.containsKey(e.id())).forEach(mayBeThere::add);
        SortedMap<String, Manifest.TargetRecord> targets = new TreeMap<>(back.targets());
        interrupted.targets().forEach(targets::putIfAbsent);
        Manifest either = new Manifest(Manifest.FORMAT_VERSION, back.profile(), targets, mayBeThere);
        List<Change> needed = new ArrayList<>();
        for (Change change : plan(back, either, liveBack).changes()) {
            boolean traceOfInterrupted = Optional.ofNullable(liveInterrupted.get(change.id())).map(InstanceStatus::presence)
                    .orElse(InstanceStatus.Presence.INSTALLED) != InstanceStatus.Presence.MISSING;
            boolean backUnhealthy = !Optional.ofNullable(liveBack.get(change.id())).map(InstanceStatus::isHealthy).orElse(false);
            // A replacement is needed when the instance of either session is not as {@code back} has it.
            boolean keep = change.action() == Action.DEACTIVATE ? traceOfInterrupted
                    : change.action() == Action.REPLACE ? backUnhealthy || traceOfInterrupted : backUnhealthy;
            if (keep) {
                needed.add(change);
            }
        }
        return new Plan(back, either, needed);
    }

    private static Map<String, ManifestEntry> byId(Manifest manifest) {
        Map<String, ManifestEntry> index = new java.util.HashMap<>();
        for (ManifestEntry entry : manifest.entries()) {
            index.putIfAbsent(entry.id(), entry);
        }
        return index;
    }

    /**
     * Why two versions of an instance belong to different module sessions (their type or container settings
     * differ), in words: {@code container changed: scope user → system}; empty when they share one.
     */
    static List<String> sessionChanges(ManifestEntry before, ManifestEntry after) {
        List<String> reasons = new ArrayList<>();
        if (!before.type().equals(after.type())) {
            reasons.add("type changed: " + before.type() + " → " + after.type());
        }
        Set<String> keys = new TreeSet<>(before.container().keySet());
        keys.addAll(after.container().keySet());
        for (String key : keys) {
            String old = before.container().get(key);
            String now = after.container().get(key);
            if (!Objects.equals(old, now)) {
                reasons.add("container changed: " + key + " " + shown(old) + " → " + shown(now));
            }
        }
        return reasons;
    }

    private static String shown(String setting) {
        return setting == null ? "(not set)" : dev.beckon.models.Messages.printable(setting);
    }

    /** Why two versions of an instance differ, in words; empty when they are the same. */
    static List<String> differences(ManifestEntry before, ManifestEntry after) {
        List<String> reasons = new ArrayList<>();
        Set<String> files = new TreeSet<>(before.files().keySet());
        files.addAll(after.files().keySet());
        for (String file : files) {
            String old = before.files().get(file);
            String now = after.files().get(file);
            if (old == null) {
                reasons.add(file + " added");
            } else if (now == null) {
                reasons.add(file + " removed");
            } else if (!old.equals(now)) {
                reasons.add(file + " changed");
            }
        }
        if (!before.packageHash().equals(after.packageHash())) {
            reasons.add("package changed");
        }
        Set<String> dependencies = new TreeSet<>(before.endpoints().keySet());
        dependencies.addAll(after.endpoints().keySet());
        for (String dependency : dependencies) {
            if (!Objects.equals(before.endpoints().get(dependency), after.endpoints().get(dependency))) {
                reasons.add("dependency " + dependency + " changed");
            }
        }
        reasons.addAll(dev.beckon.planner.knobs.KnobChanges.between(before.knobs(), after.knobs()));
        if (!before.limits().equals(after.limits())) {
            reasons.add("limits changed");
        }
        if (!before.hardening().equals(after.hardening())) {
            // An entry recorded before hardening existed has none: its units change once, to the defaults.
            reasons.add(before.hardening().isEmpty() ? "hardened by default" : "hardening changed");
        }
        Set<String> secrets = new TreeSet<>(before.secrets().keySet());
        secrets.addAll(after.secrets().keySet());
        for (String secret : secrets) {
            String old = before.secrets().get(secret);
            String now = after.secrets().get(secret);
            if (!Objects.equals(old, now)) {
                reasons.add("secret " + secret + (old == null ? " added" : now == null ? " removed" : " changed"));
            }
        }
        if (reasons.isEmpty() && !before.hash().equals(after.hash())) {
            reasons.add("instance settings changed");
        }
        return reasons;
    }

    private static List<String> drift(InstanceStatus status) {
        List<String> reasons = new ArrayList<>();
        status.drift().forEach(d -> reasons.add(d.startsWith(ClassDataArchive.REASON_PREFIX) ? d : "drifted: " + d));
        if (status.activity() == InstanceStatus.Activity.FAILED) {
            reasons.add(failed(status));
        } else if (reasons.isEmpty()) {
            reasons.add("drifted: " + status.activity().name().toLowerCase() + (status.detail().isEmpty() ? "" : ", " + status.detail()));
        }
        return reasons;
    }

    private static String failed(InstanceStatus status) {
        return "failed" + (status.detail().isEmpty() ? "" : ": " + status.detail()) + "; will be reset";
    }
}
