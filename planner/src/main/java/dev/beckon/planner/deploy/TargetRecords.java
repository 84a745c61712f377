package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.Messages;
import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.DeployedRecord;
import dev.beckon.planner.target.TargetSessions;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * After a generation is recorded (or made current again), each of its targets records that it runs it
 * ({@link DeployedRecord}), so {@code beckon reconstruct} can rebuild a lost profile from them. The generation is
 * already the profile's then: a target that cannot record it only gets a notice, the deployment stands.
 */
final class TargetRecords {
    private final TargetSessions sessions;
    /** How many targets record at once: the command's {@code --parallel}, read when they record. */
    private final java.util.function.IntSupplier parallel;

    TargetRecords(TargetSessions sessions, java.util.function.IntSupplier parallel) {
        this.sessions = sessions;
        this.parallel = parallel;
    }

    /** The store sessions of the same targets. */
    dev.beckon.planner.store.StoreSession.OfTarget stores() {
        return sessions.stores();
    }

    void recorded(ProfileRecords records, Generation generation, Manifest manifest, Consumer<String> notices) {
        byte[] recorded;
        try {
            recorded = records.generations().manifest(generation.number());
        } catch (GenerationsException e) {
            notices.accept("The targets do not record generation " + generation.number() + ": " + e.getMessage());
            return;
        }
        DeployedRecord record = new DeployedRecord(generation.number(), recorded);
        sessions.know(manifest);
        // A round trip to each target: side by side, as the deployment worked on them.
        try {
            OrderedParallel.run(List.copyOf(manifest.targets().values()), target -> java.util.Set.of(), parallel.getAsInt(), target -> {
                try {
                    sessions.of(target.name()).recordDeployed(Path.of(target.stateDirectory()), record);
                } catch (ActivationException | PlanningException | RuntimeException e) {
                    synchronized (notices) {
                        notices.accept("Target " + target.name() + " does not record that it runs generation " + generation.number()
                                + " (so `beckon reconstruct` cannot learn it there): " + Messages.printable(String.valueOf(e.getMessage())));
                    }
                }
            });
        } catch (ActivationException interrupted) {
            // Each target's own failure is its notice above: what is left is being stopped, after those running ended.
            notices.accept("Not every target recorded that it runs generation " + generation.number() + ": "
                    + Messages.printable(String.valueOf(interrupted.getMessage())));
        }
    }
}
