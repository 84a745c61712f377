package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The inverses of the steps begun so far, across targets, newest first. Safe to push from several threads. */
final class UndoLog {
    private final Deque<Inverse> inverses = new ArrayDeque<>();

    /** Records that a step has begun; returns its inverse. */
    synchronized <I extends Inverse> I begun(I inverse) {
        inverses.push(inverse);
        return inverse;
    }

    private synchronized Inverse next() {
        return inverses.poll();
    }

    /**
     * Undoes every step begun, newest first, then reloads every target an inverse touched. The stores are
     * put back last, and only when everything else was: until then the targets may need what was copied.
     *
     * @return what could not be undone; empty when every target is as it was
     */
    List<String> replay(Execution execution) {
        List<String> notUndone = new ArrayList<>();
        List<Inverse.RemoveFromStore> stores = new ArrayList<>();
        Set<String> touched = new TreeSet<>();
        Set<String> skipped = execution.unconfirmed();
        for (Inverse inverse = next(); inverse != null; inverse = next()) {
            if (skipped.contains(inverse.target())) {
                // It put itself back, on its own; what this deployer did there is undone.
                continue;
            }
            if (inverse instanceof Inverse.RemoveFromStore store) {
                stores.add(store);
                continue;
            }
            touched.add(inverse.target());
            try {
                inverse.undo(execution);
            } catch (ActivationException e) {
                notUndone.add(describe(inverse) + e.getMessage());
            }
        }
        for (String target : touched) {
            try {
                execution.session(target).flush();
            } catch (ActivationException e) {
                notUndone.add(e.getMessage());
            }
        }
        for (Inverse.RemoveFromStore store : stores) {
            if (!notUndone.isEmpty()) {
                break;
            }
            try {
                store.undo(execution);
            } catch (ActivationException e) {
                execution.events().targetStep(store.target(), "could not remove what this deployment put into the store: "
                        + e.getMessage());
            }
        }
        return notUndone;
    }

    /**
     * Undoes every step begun, newest first, for the steps that are undone whatever the outcome (locks).
     *
     * @return the first failure, once all were tried
     */
    ActivationException release(Execution execution) {
        ActivationException first = null;
        Set<String> skipped = execution.unconfirmed();
        for (Inverse inverse = next(); inverse != null; inverse = next()) {
            if (skipped.contains(inverse.target())) {
                try {
                    inverse.undo(execution);
                } catch (ActivationException e) {
                    // The old connection is gone too; the lock's holder, the agent, goes with it, so the lock is stale.
                }
                continue;
            }
            try {
                inverse.undo(execution);
            } catch (ActivationException e) {
                first = first == null ? e : first;
            }
        }
        return first;
    }

    private static String describe(Inverse inverse) {
        if (inverse instanceof Inverse.Reactivate reactivate) {
            return reactivate.change().id() + ": ";
        }
        if (inverse instanceof Inverse.Remove remove) {
            return remove.change().id() + ": ";
        }
        return "";
    }
}
