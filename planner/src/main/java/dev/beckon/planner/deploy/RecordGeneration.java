package dev.beckon.planner.deploy;

import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.store.StoreRoots;
import java.util.Map;

/**
 * The last step of a deployment and its commit point: the targets run {@code manifest}, so the profile records it,
 * as a new generation or by making a kept one current again (a rollback), and the store entries it references
 * become roots that gc keeps.
 *
 * <p>It has no inverse, on purpose: until it runs, the undo log can put every target back; once it has run, the
 * deployment is done. A deployer killed between the targets' last step and this one leaves its intent journal, and
 * recovery finishes the deployment by running this same step.
 */
sealed interface RecordGeneration {
    /** What the targets now run. */
    Manifest manifest();

    /**
     * Records it and makes it current.
     *
     * @throws GenerationsException when the profile's repository cannot be written; it is left as it was, or with
     *                              the generation current and only the store roots missing (then a
     *                              {@link PlanningException} says so)
     */
    Generation run(ProfileRecords records) throws PlanningException;

    /** A deployment of a model, or an undeployment: a new generation, numbered past the highest ever recorded. */
    record NewGeneration(Manifest manifest, Map<String, byte[]> models, String user, String message) implements RecordGeneration {
        @Override
        public Generation run(ProfileRecords records) throws PlanningException {
            records.forget();
            Generation generation = records.generations().record(ManifestJson.write(manifest), models, user, message);
            StoreRoots.addRecorded(manifest, records.stores());
            records.recordedOnTargets(generation, manifest);
            return generation;
        }
    }

    /** A rollback: the kept generation {@code number}, whose manifest the targets run again, becomes current. */
    record MakeCurrent(Manifest manifest, int number) implements RecordGeneration {
        @Override
        public Generation run(ProfileRecords records) throws PlanningException {
            records.forget();
            Generation generation = records.generations().makeCurrent(number);
            StoreRoots.addRecorded(manifest, records.stores());
            records.recordedOnTargets(generation, manifest);
            return generation;
        }
    }
}
