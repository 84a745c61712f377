package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.Messages;
import dev.beckon.models.SystemModel;
import dev.beckon.models.Target;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.StateDirectories;
import dev.beckon.planner.store.StoreRoots;
import dev.beckon.planner.target.DeployedRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code beckon reconstruct}, as Disnix's disnix-reconstruct: rebuilds a lost profile from what the targets of a
 * model record that they run ({@link DeployedRecord}). The newest generation any target records becomes the rebuilt
 * profile's current one, with the same number and its manifest byte for byte; what runs is not touched. Targets that
 * record an older generation (left out of later deployments) or none are named; targets that record the same
 * generation with different manifests make it refuse, since they cannot both be what ran.
 */
public final class Reconstruction {
    /** What was rebuilt: the generation, the targets that record it, and what the others said. */
    public record Result(Generation generation, List<String> recordedOn, List<String> notes) {}

    private final ProfileRecords records;
    private final ProfileTargets targets;

    Reconstruction(ProfileRecords records, ProfileTargets targets) {
        this.records = records;
        this.targets = targets;
    }

    Result reconstruct(SystemModel model, String user) throws PlanningException {
        if (records.generations().current().isPresent()) {
            throw new PlanningException("profile " + records.profile() + " has generations (see `beckon generations`); reconstruct only"
                    + " rebuilds a lost profile into an empty one. Nothing was changed.");
        }
        SortedMap<String, Manifest.TargetRecord> known = new TreeMap<>();
        for (Target target : model.targets().values()) {
            known.put(target.name(), new Manifest.TargetRecord(target.name(), target.host().toString(), target.hostname(),
                    StateDirectories.of(target, targets.environment()).toString()));
        }
        targets.sessions().know(new Manifest(Manifest.FORMAT_VERSION, records.profile(), known, List.of()));
        SortedMap<Integer, Map<String, byte[]>> byGeneration = new TreeMap<>();
        List<String> notes = new ArrayList<>();
        for (Manifest.TargetRecord target : known.values()) {
            try {
                Optional<DeployedRecord> found = targets.sessions().of(target.name()).deployed(Path.of(target.stateDirectory()));
                if (found.isEmpty()) {
                    notes.add("target " + target.name() + " records no deployment of profile " + records.profile());
                } else {
                    byGeneration.computeIfAbsent(found.get().generation(), n -> new TreeMap<>()).put(target.name(), found.get().manifest());
                }
            } catch (ActivationException | PlanningException e) {
                notes.add("target " + target.name() + " could not be asked: " + Messages.printable(String.valueOf(e.getMessage())));
            }
        }
        if (byGeneration.isEmpty()) {
            throw new PlanningException("no target of the model records a deployment of profile " + records.profile() + " ("
                    + String.join("; ", notes) + "); there is nothing to reconstruct from. Nothing was changed.");
        }
        int number = byGeneration.lastKey();
        Map<String, byte[]> newest = byGeneration.get(number);
        byte[] manifest = newest.values().iterator().next();
        for (Map.Entry<String, byte[]> other : newest.entrySet()) {
            if (!Arrays.equals(other.getValue(), manifest)) {
                throw new PlanningException("targets " + String.join(", ", newest.keySet()) + " all record generation " + number
                        + " of profile " + records.profile() + ", but not the same manifest (they were deployed from different"
                        + " profiles of that name); reconstruct it from one of them with a model naming only its targets. Nothing was"
                        + " changed.");
            }
        }
        Manifest parsed;
        try {
            parsed = ManifestJson.read(manifest, "the manifest target " + newest.keySet().iterator().next() + " records");
        } catch (IOException e) {
            throw new PlanningException(e.getMessage() + "; nothing was changed", e);
        }
        byGeneration.headMap(number).forEach((older, on) -> notes.add((on.size() == 1 ? "target " : "targets ")
                + String.join(", ", on.keySet()) + " record" + (on.size() == 1 ? "s" : "") + " the older generation " + older));
        Generation generation;
        try {
            records.forget();
            generation = records.generations().record(manifest, Map.of(), user, "reconstructed from targets "
                    + String.join(", ", newest.keySet()), number);
        } catch (GenerationsException e) {
            throw new PlanningException("cannot record the reconstructed generation: " + e.getMessage(), e);
        }
        StoreRoots.addRecorded(parsed, targets.sessions().stores());
        return new Result(generation, List.copyOf(new TreeSet<>(newest.keySet())), notes);
    }
}
