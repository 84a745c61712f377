package dev.beckon.planner.cli;

import dev.beckon.models.Messages;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.deploy.SharedLocks;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.generations.SharedProfile;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.state.DeploymentLock;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code beckon profile remote|pull|push|unlock}: a profile shared by a team through a bare git repository. */
@Command(name = "profile", description = {"Share a profile's generations with a team through a bare git repository (a path or an"
        + " ssh:// URL): once named with `profile remote`, every command that changes the profile takes the shared lock, pulls"
        + " first and pushes at its end."},
        subcommands = {ProfileCommand.Remote.class, ProfileCommand.Pull.class, ProfileCommand.Push.class, ProfileCommand.Unlock.class})
final class ProfileCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: beckon profile remote [URL], pull, push or unlock");
    }

    /** What every subcommand shares: the profile, and turning a repository failure into one line. */
    abstract static class OnProfile implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        ProfileOptions profile;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Deployments deployments = profile.openWithoutRecovery()) {
                int status = run(deployments, deployments.shared(), out);
                out.flush();
                return status;
            } catch (GenerationsException e) {
                return ExitCodes.error(spec, new PlanningException("profile " + profile.profile + ": " + e.getMessage(), e));
            } catch (PlanningException e) {
                return ExitCodes.error(spec, e);
            }
        }

        abstract int run(Deployments deployments, SharedProfile shared, PrintWriter out) throws PlanningException;

        /** The profile's own lock, as a deployment takes it: no deployment here moves its refs meanwhile. */
        DeploymentLock lockLocally(Deployments deployments, String command, PrintWriter out) throws PlanningException {
            return DeploymentLock.acquire(deployments.profileLockFile(), "profile " + deployments.profile(), deployments.profile(), command,
                    new ProgressPrinter(out)::notice);
        }
    }

    @Command(name = "remote", description = "Show the profile's shared repository, or name it (an absolute path, made on the first push"
            + " when missing, or ssh://[user@]host[:port]/path, reached with the system's ssh as targets are).")
    static final class Remote extends OnProfile {
        @Parameters(index = "0", arity = "0..1", paramLabel = "URL", description = "The shared bare repository.")
        String url;

        @Option(names = "--unset", description = "Stop sharing: the profile's generations stay, only here.")
        boolean unset;

        @Override
        int run(Deployments deployments, SharedProfile shared, PrintWriter out) {
            if (unset) {
                shared.setRemote(null);
                out.println("Profile " + deployments.profile() + " is no longer shared.");
            } else if (url != null) {
                shared.setRemote(url);
                out.println("Profile " + deployments.profile() + " is shared through " + Messages.printable(url)
                        + "; `beckon profile pull` takes its generations, and every deployment pulls first and pushes at its end.");
            } else {
                out.println(shared.remote().map(Messages::printable).orElse("Profile " + deployments.profile() + " is not shared."));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "pull", description = "Take the shared repository's generations when it has newer ones; a diverged history is"
            + " refused unless --force.")
    static final class Pull extends OnProfile {
        @Option(names = "--force", description = "When the histories diverged, take the shared one; this profile's own stays readable"
                + " under refs/beckon/diverged/ in its repository.")
        boolean force;

        @Override
        int run(Deployments deployments, SharedProfile shared, PrintWriter out) throws PlanningException {
            try (DeploymentLock held = lockLocally(deployments, "profile pull", out)) {
                SharedProfile.Relation relation = shared.pull(force);
                out.println(switch (relation) {
                    case IN_SYNC, BEHIND -> "Profile " + deployments.profile() + " is up to date with " + shared.remote().orElseThrow() + ".";
                    case UPDATED -> "Profile " + deployments.profile() + " took the generations of " + shared.remote().orElseThrow()
                            + current(deployments) + ".";
                    case AHEAD -> "Profile " + deployments.profile() + " has generations " + shared.remote().orElseThrow()
                            + " lacks; `beckon profile push` sends them.";
                });
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "push", description = "Send the profile's generations to the shared repository, under its lock; refused when it"
            + " has generations this profile lacks (pull first).")
    static final class Push extends OnProfile {
        @Override
        int run(Deployments deployments, SharedProfile shared, PrintWriter out) throws PlanningException {
            String url = shared.remote().orElse("");
            try (DeploymentLock held = lockLocally(deployments, "profile push", out);
                    SharedProfile.Held sharedLock = SharedLocks.take(shared, deployments.profile(), "profile push",
                            new ProgressPrinter(out)::notice)) {
                SharedProfile.Relation relation = shared.push();
                if (relation == SharedProfile.Relation.BEHIND) {
                    throw new PlanningException("profile " + deployments.profile() + ": " + url + " has generations this profile lacks;"
                            + " `beckon profile pull` first. Nothing was pushed.");
                }
                out.println(relation == SharedProfile.Relation.UPDATED
                        ? "Profile " + deployments.profile() + " sent its generations to " + url + current(deployments) + "."
                        : "Profile " + deployments.profile() + ": " + url + " is up to date.");
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "unlock", description = "Show who holds the profile's lock in the shared repository and, with --force, break it"
            + " (for a holder on another machine that is gone; one gone from this machine is taken over anyway).")
    static final class Unlock extends OnProfile {
        @Option(names = "--force", description = "Break the shared lock, whoever holds it.")
        boolean force;

        @Override
        int run(Deployments deployments, SharedProfile shared, PrintWriter out) throws PlanningException {
            String url = shared.remote().orElse("");
            if (!force) {
                throw new PlanningException("profile " + deployments.profile() + ": `beckon profile unlock --force` breaks the lock in "
                        + url + " whoever holds it; nothing was changed");
            }
            Optional<String> holder = shared.breakLock();
            out.println(holder.map(h -> "Broke the shared lock of profile " + deployments.profile() + " in " + url + ", held by "
                    + SharedLocks.describe(h) + ".").orElse("The shared repository " + url + " is not locked."));
            return ExitCodes.OK;
        }
    }

    private static String current(Deployments deployments) {
        return deployments.generations().stream().filter(g -> g.current()).findFirst()
                .map(g -> " (generation " + g.number() + " is current)").orElse("");
    }
}
