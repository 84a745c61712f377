package dev.beckon.planner.cli;

import dev.beckon.planner.state.DeploymentLock;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/** {@code beckon unlock}: shows who holds a deployment lock and, with {@code --force}, breaks it. */
@Command(name = "unlock", description = {
        "Show who holds the deployment lock of the given targets (none given: of the profile) and, with --force, break it.",
        "A lock whose holder is gone is taken over by the next deployment anyway; --force is for a holder that is stuck."})
final class UnlockCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ProfileOptions profile;

    @Parameters(paramLabel = "TARGET", arity = "0..*", description = "Targets whose locks to show or break.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--force", description = "Break the locks, whoever holds them.")
    boolean force;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Deployments deployments = profile.openWithoutRecovery()) {
            Map<String, Path> locks = new LinkedHashMap<>();
            if (targets.isEmpty()) {
                locks.put("profile " + deployments.profile(), deployments.profileLockFile());
            } else {
                Map<String, Path> known = deployments.knownStateDirectories();
                for (String target : targets) {
                    Path stateDirectory = known.get(target);
                    if (stateDirectory == null) {
                        throw new PlanningException("profile " + deployments.profile() + " has deployed to no target " + target
                                + (known.isEmpty() ? "" : "; its targets are " + String.join(", ", known.keySet())));
                    }
                    locks.put("target " + target, DeploymentLock.targetLockFile(stateDirectory));
                }
            }
            boolean held = false;
            for (Map.Entry<String, Path> lock : locks.entrySet()) {
                held |= show(out, lock.getKey(), lock.getValue());
            }
            if (held && !force) {
                out.println("Nothing was changed; --force breaks these locks.");
            }
            out.flush();
            return held && !force ? ExitCodes.FAILED : ExitCodes.OK;
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        }
    }

    /** @return whether the lock is still held after this */
    private boolean show(PrintWriter out, String what, Path file) throws PlanningException {
        Optional<DeploymentLock.Holder> holder;
        try {
            holder = DeploymentLock.read(file);
        } catch (PlanningException unreadable) {
            if (!force) {
                throw unreadable;
            }
            DeploymentLock.breakLock(file);
            out.println("Broke the lock of " + what + ", which was unreadable (" + file + ").");
            return false;
        }
        if (holder.isEmpty()) {
            out.println(what + " is not locked.");
            return false;
        }
        String state = holder.get().alive().map(alive -> alive ? "it still runs" : "it is gone: the lock is stale")
                .orElse("it was taken on another host");
        if (force) {
            DeploymentLock.breakLock(file);
            out.println("Broke the lock of " + what + ", held by " + holder.get().describe() + " (" + state + ").");
            return false;
        }
        out.println(what + " is locked by " + holder.get().describe() + " (" + state + "; " + file + ").");
        return true;
    }
}
