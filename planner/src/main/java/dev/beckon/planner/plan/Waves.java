package dev.beckon.planner.plan;

import dev.beckon.models.Durations;
import dev.beckon.models.Rollout;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A deployment's waves, resolved to targets: each wave's changes are carried out, then its instances must stay ready
 * and healthy for {@code pause} before the next wave begins. Waves are by target: every change on a target is in
 * that target's wave.
 *
 * @param targets   the targets of each wave, in order; empty: one wave of every target, no pause
 * @param keepDone  after a failure, undo only the failing wave and keep the waves done before it
 */
public record Waves(List<List<String>> targets, Duration pause, boolean keepDone) {
    public static final Waves NONE = new Waves(List.of(), Duration.ZERO, false);

    public Waves {
        targets = targets.stream().map(List::copyOf).toList();
    }

    /** The waves of {@code rollout} over the targets of a plan, from what runs and what is wanted. */
    public static Waves of(Rollout rollout, Plan plan, boolean keepDone) {
        if (!rollout.isStaged()) {
            return NONE;
        }
        Set<String> all = new TreeSet<>(plan.desired().targets().keySet());
        all.addAll(plan.recorded().targets().keySet());
        return new Waves(rollout.resolve(all), rollout.pause(), keepDone);
    }

    public boolean isStaged() {
        return targets.size() > 1;
    }

    /** The index of the wave a target is in (0 when there are no waves). */
    public int of(String target) {
        for (int i = 0; i < targets.size(); i++) {
            if (targets.get(i).contains(target)) {
                return i;
            }
        }
        return 0;
    }

    /**
     * Why the plan cannot go in these waves, if it cannot: dependency order holds across targets, so a service of one
     * wave cannot go live before a service it depends on that changes in a later wave, nor can a service go before a
     * dependant that goes in a later wave.
     */
    public Optional<String> orderProblem(Plan plan) {
        if (!isStaged()) {
            return Optional.empty();
        }
        TreeMap<String, Integer> activatedIn = new TreeMap<>();
        TreeMap<String, Change> activatedBy = new TreeMap<>();
        for (Change change : plan.changes()) {
            if (change.action() != Action.DEACTIVATE) {
                int wave = of(change.target());
                if (!activatedIn.containsKey(change.service()) || activatedIn.get(change.service()) < wave) {
                    activatedIn.put(change.service(), wave);
                    activatedBy.put(change.service(), change);
                }
            }
        }
        for (Change change : plan.changes()) {
            if (change.action() == Action.DEACTIVATE) {
                continue;
            }
            int wave = of(change.target());
            for (String dependency : change.desired().orElseThrow().dependsOn()) {
                Integer later = activatedIn.get(dependency);
                if (later != null && later > wave) {
                    return Optional.of("service " + change.service() + " on target " + change.target() + " (wave " + (wave + 1)
                            + ") depends on " + dependency + ", which changes on target " + activatedBy.get(dependency).target()
                            + " in wave " + (later + 1) + ": a service goes live only after what it depends on, so put target "
                            + activatedBy.get(dependency).target() + " in wave " + (wave + 1) + " or before");
                }
            }
        }
        for (Change gone : plan.changes()) {
            if (gone.action() != Action.DEACTIVATE && gone.action() != Action.REPLACE) {
                continue;
            }
            ManifestEntry entry = gone.recorded().orElseThrow();
            for (Change dependant : plan.changes()) {
                boolean stops = dependant.action() == Action.DEACTIVATE || dependant.action() == Action.REPLACE;
                if (stops && dependant != gone && dependant.recorded().orElseThrow().dependsOn().contains(entry.service())
                        && of(dependant.target()) > of(gone.target())) {
                    return Optional.of("service " + entry.service() + " on target " + gone.target() + " (wave " + (of(gone.target()) + 1)
                            + ") stops before its dependant " + dependant.service() + " on target " + dependant.target() + " (wave "
                            + (of(dependant.target()) + 1) + ") does: put target " + dependant.target() + " in wave "
                            + (of(gone.target()) + 1) + " or before");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * What the targets run when the waves before {@code wave} are done and the rest not begun: the desired entries on
     * the targets of those waves, the recorded ones elsewhere, by target in the order of each manifest.
     */
    public Manifest doneBefore(int wave, Plan plan) {
        Set<String> done = new TreeSet<>();
        for (int i = 0; i < wave && i < targets.size(); i++) {
            done.addAll(targets.get(i));
        }
        return mixed(done, plan.desired(), plan.recorded());
    }

    private static Manifest mixed(Collection<String> done, Manifest desired, Manifest recorded) {
        TreeMap<String, Manifest.TargetRecord> records = new TreeMap<>(recorded.targets());
        for (String target : done) {
            records.remove(target);
            Optional.ofNullable(desired.targets().get(target)).ifPresent(record -> records.put(target, record));
        }
        Set<String> targetsWithEntries = new TreeSet<>();
        desired.entries().forEach(entry -> targetsWithEntries.add(entry.target()));
        recorded.entries().forEach(entry -> targetsWithEntries.add(entry.target()));
        List<ManifestEntry> entries = new ArrayList<>();
        for (String target : targetsWithEntries) {
            Manifest from = done.contains(target) ? desired : recorded;
            from.entries().stream().filter(entry -> entry.target().equals(target)).forEach(entries::add);
        }
        return new Manifest(desired.formatVersion(), desired.profile(), records, entries);
    }

    /** "wave 1: web1; wave 2: web2, web3", for plans and progress. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            lines.add("wave " + (i + 1) + ": " + String.join(", ", targets.get(i)));
        }
        return lines;
    }

    /** The pause as the model writes it. */
    public String pauseText() {
        return Durations.format(pause);
    }
}
