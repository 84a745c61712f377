package dev.beckon.models;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a deployment goes through the targets: in waves, each begun only once every instance of the one
 * before it has been ready and healthy for {@code pause} ({@code [rollout]} of the infrastructure file, or
 * {@code beckon deploy --waves}). No waves: every target at once, as before.
 *
 * @param waves what each wave takes, in order
 * @param confirmTimeout how long an SSH target waits, after its activation, for the deployer to confirm through a new
 *     connection before it puts itself back on its own ({@code confirm-timeout})
 */
public record Rollout(List<Wave> waves, Duration pause, Duration confirmTimeout) {
    /** deploy-rs's: how long an SSH target waits to be confirmed through a new connection before it puts itself back. */
    public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    /** Every target at once. */
    public static final Rollout NONE = new Rollout(List.of(), Duration.ZERO, DEFAULT_CONFIRM_TIMEOUT);
    /** The pause when none is given: long enough for a crash loop or a failing health check to show. */
    public static final Duration DEFAULT_PAUSE = Duration.ofSeconds(30);
    /** What a wave is written as, for messages. */
    public static final String WAVE_SYNTAX = "a wave is a list of target names, a share of the targets such as \"25%\", or \"rest\"";

    private static final Pattern PERCENT = Pattern.compile("([0-9]{1,3})%");

    public Rollout {
        waves = List.copyOf(waves);
    }

    public Rollout(List<Wave> waves, Duration pause) {
        this(waves, pause, DEFAULT_CONFIRM_TIMEOUT);
    }

    public boolean isStaged() {
        return !waves.isEmpty();
    }

    /** One wave as written. */
    public sealed interface Wave {
        /** These targets, by name. */
        record Targets(List<String> names) implements Wave {
            public Targets {
                names = List.copyOf(names);
            }
        }

        /** This share of all targets (rounded up, at least one), taken from those no wave has yet, by name. */
        record Share(int percent) implements Wave {}

        /** Every target no wave has yet; only last. */
        record Rest() implements Wave {}
    }

    /**
     * Reads one wave written as text: {@code rest}, {@code 25%}, or target names separated by commas, as
     * {@code --waves} takes them.
     *
     * @throws IllegalArgumentException saying what is wrong, fit for the user
     */
    public static Wave parseWave(String text) {
        String trimmed = text.strip();
        if (trimmed.equals("rest")) {
            return new Wave.Rest();
        }
        if (trimmed.endsWith("%")) {
            return share(trimmed);
        }
        List<String> names = new ArrayList<>();
        for (String name : trimmed.split(",", -1)) {
            String target = name.strip();
            if (!ValueReader.NAME.matcher(target).matches()) {
                throw new IllegalArgumentException("wave " + Messages.quote(text) + ": " + Messages.quote(target)
                        + " is not a target name; " + WAVE_SYNTAX);
            }
            names.add(target);
        }
        return new Wave.Targets(names);
    }

    static Wave.Share share(String text) {
        Matcher m = PERCENT.matcher(text);
        int percent = m.matches() ? Integer.parseInt(m.group(1)) : -1;
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException("wave " + Messages.quote(text) + " must be a share from 1% to 100%, such as \"25%\"");
        }
        return new Wave.Share(percent);
    }

    /**
     * Checks the waves against the targets there are: each named target exists and is in one wave only,
     * {@code rest} comes last.
     *
     * @return what is wrong, one message per problem, each for the wave at that index
     */
    public static List<Optional<String>> problems(List<Wave> waves, Collection<String> targets) {
        List<Optional<String>> problems = new ArrayList<>();
        Set<String> placed = new TreeSet<>();
        for (int i = 0; i < waves.size(); i++) {
            Wave wave = waves.get(i);
            String problem = null;
            if (wave instanceof Wave.Rest && i != waves.size() - 1) {
                problem = "\"rest\" must be the last wave: it takes every target the waves before it left";
            } else if (wave instanceof Wave.Targets named) {
                if (named.names().isEmpty()) {
                    problem = "a wave names no target";
                }
                for (String name : named.names()) {
                    if (!targets.contains(name)) {
                        problem = "wave " + (i + 1) + " names target " + name + ", which the infrastructure does not declare"
                                + Suggestions.didYouMean(name, targets) + Suggestions.knownOrNone("targets", new TreeSet<>(targets));
                        break;
                    }
                    if (!placed.add(name)) {
                        problem = "target " + name + " is in more than one wave; a target goes in one wave";
                        break;
                    }
                }
            }
            problems.add(Optional.ofNullable(problem));
        }
        return problems;
    }

    /**
     * The targets of each wave, in order: named targets as named; a share takes that share of all the targets (rounded
     * up, at least one) from those no wave has, by name; the targets no wave takes form a last wave. Empty waves are
     * left out.
     */
    public List<List<String>> resolve(Collection<String> allTargets) {
        Set<String> left = new TreeSet<>(allTargets);
        List<List<String>> resolved = new ArrayList<>();
        for (Wave wave : waves) {
            List<String> these = new ArrayList<>();
            if (wave instanceof Wave.Targets named) {
                named.names().stream().filter(left::contains).forEach(these::add);
            } else if (wave instanceof Wave.Share share) {
                int count = Math.max(1, (int) Math.ceil(allTargets.size() * share.percent() / 100.0));
                left.stream().limit(count).forEach(these::add);
            } else {
                these.addAll(left);
            }
            these.forEach(left::remove);
            if (!these.isEmpty()) {
                resolved.add(List.copyOf(new LinkedHashSet<>(these)));
            }
        }
        if (!left.isEmpty() && !resolved.isEmpty()) {
            resolved.add(List.copyOf(left));
        }
        return resolved;
    }
}
