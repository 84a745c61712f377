package dev.beckon.planner.deploy;

import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.PlanningException;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What one profile's generations record, as the commands read it: the current generation's manifest, read once
 * per command, and what a plan starts from when that record is damaged.
 */
final class ProfileRecords {
    private final String profile;
    private final Generations generations;
    /** The current generation's manifest, once read; {@code null} until then and after the current one changes. */
    private Manifest recorded;
    /** The current generation's manifest as recorded, for {@link #recordedDigest}; null before it is read. */
    private byte[] recordedBytes;
    /** The number of the generation {@link #recorded} was read from; null until then, or when there is none. */
    private Integer recordedNumber;
    /** Where warnings about damaged records go: the command's progress printer, once it has given one. */
    private Consumer<String> notices = notice -> {};
    /** Whether the current generation's record was found damaged, so that plans start from an earlier one. */
    private boolean currentDamaged;

    /** Told of each generation recorded or made current, so its targets record it; none until set. */
    private TargetRecords targetRecords;

    ProfileRecords(String profile, Generations generations) {
        this.profile = profile;
        this.generations = generations;
    }

    String profile() {
        return profile;
    }

    Generations generations() {
        return generations;
    }

    void targetRecords(TargetRecords targetRecords) {
        this.targetRecords = targetRecords;
    }

    /** The store sessions of this command's targets, for the store roots; this machine's alone until targets are set. */
    dev.beckon.planner.store.StoreSession.OfTarget stores() {
        return targetRecords == null ? dev.beckon.planner.store.LocalStore.sessions(profile) : targetRecords.stores();
    }

    /** After {@code generation} became current with {@code manifest}: its targets record it. */
    void recordedOnTargets(Generation generation, Manifest manifest) {
        if (targetRecords != null) {
            targetRecords.recorded(this, generation, manifest, notices);
        }
    }

    void notices(Consumer<String> notices) {
        this.notices = notices;
    }

    /** What the current generation holds; empty before the first deployment. Read once per command. */
    Manifest recorded() throws PlanningException {
        if (recorded == null) {
            Optional<Generations.CurrentManifest> current = generations.currentManifest();
            recorded = current.isEmpty() ? Manifest.empty(profile) : read(current.get());
        }
        return recorded;
    }

    /**
     * The digest of the current generation's manifest as recorded ({@link ManifestJson#digestOfWritten}), taken when
     * asked (a large manifest's costs a noticeable part of a command); empty before the first deployment.
     */
    Optional<String> recordedDigest() throws PlanningException {
        recorded();
        return Optional.ofNullable(recordedBytes).map(ManifestJson::digestOfWritten);
    }

    /**
     * The current generation's number: the one {@link #recorded} was read from when it was read, without asking JGit
     * (a deployment holds the profile's lock, so it is still the current one); else as the repository says.
     */
    Optional<Integer> currentNumber() {
        if (recorded != null) {
            return Optional.ofNullable(recordedNumber);
        }
        return generations.current().map(Generation::number);
    }

    /** Forgets the manifest read, for the current generation is about to change (or just has). */
    void forget() {
        recorded = null;
        recordedBytes = null;
        recordedNumber = null;
    }

    /**
     * What a plan starts from: the current generation's manifest; when that record is damaged, the newest readable
     * generation before it, with a warning, so that a rollback or a new deployment can still make another generation
     * current (the message of {@link #recorded} tells people to do just that).
     */
    Manifest baseline() throws PlanningException {
        try {
            return recorded();
        } catch (PlanningException damaged) {
            Optional<Generation> current = generations.current();
            if (current.isEmpty()) {
                throw damaged;
            }
            List<Generation> earlier = new java.util.ArrayList<>(generations.list());
            java.util.Collections.reverse(earlier);
            for (Generation generation : earlier) {
                if (generation.number() >= current.get().number()) {
                    continue;
                }
                try {
                    Manifest readable = manifest(generation.number());
                    currentDamaged = true;
                    notices.accept("warning: " + firstSentence(damaged.getMessage()) + "; planning from generation "
                            + generation.number() + " instead, so instances only generation " + current.get().number()
                            + " had are left as they are");
                    return readable;
                } catch (PlanningException unreadableToo) {
                    // Try the one before.
                }
            }
            currentDamaged = true;
            notices.accept("warning: " + firstSentence(damaged.getMessage()) + "; no earlier generation is readable either, so"
                    + " planning as if nothing were deployed (instances only it had are left as they are)");
            return Manifest.empty(profile);
        }
    }

    /** Whether the current generation's record was found damaged while planning. */
    boolean currentIsDamaged() {
        return currentDamaged;
    }

    /** A new generation has replaced the damaged one as current. */
    void currentRepaired() {
        currentDamaged = false;
    }

    private static String firstSentence(String message) {
        int end = message.indexOf(". ");
        return end < 0 ? message : message.substring(0, end);
    }

    Manifest manifest(int generation) throws PlanningException {
        try {
            return parse(generations.manifest(generation), generation);
        } catch (GenerationsException e) {
            throw unreadable(generation, e);
        }
    }

    private Manifest read(Generations.CurrentManifest current) throws PlanningException {
        try {
            byte[] manifest = current.manifest();
            Manifest parsed = parse(manifest, current.number());
            recordedBytes = manifest;
            recordedNumber = current.number();
            return parsed;
        } catch (GenerationsException e) {
            throw unreadable(current.number(), e);
        }
    }

    private Manifest parse(byte[] manifest, int generation) throws PlanningException {
        try {
            return ManifestJson.read(manifest, "generation " + generation + " of profile " + profile);
        } catch (IOException e) {
            throw unreadable(generation, e);
        }
    }

    private PlanningException unreadable(int generation, Exception e) {
        return new PlanningException(e.getMessage() + " (in " + generations.directory() + "). Nothing was changed. If "
                + "generation " + generation + " is the current one, `beckon rollback --to N` to a readable generation, or a "
                + "deployment of the model, makes another one current.", e);
    }

    void makeCurrent(int number) throws PlanningException {
        try {
            generations.makeCurrent(number);
        } catch (GenerationsException e) {
            throw new PlanningException("generation " + number + " could not be made current: " + e.getMessage(), e);
        }
    }

    /** The numbers of the kept generations, for messages. */
    String numbers() {
        return String.join(", ", generations.list().stream().map(g -> String.valueOf(g.number())).toList());
    }
}
