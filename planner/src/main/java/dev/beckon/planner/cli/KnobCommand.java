package dev.beckon.planner.cli;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.Knob;
import dev.beckon.models.Messages;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.knobs.KnobRegion;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code beckon knob set|list}: a running service's knobs, shown and changed in place, without a restart. */
@Command(name = "knob", description = "Show or change a deployed service's runtime knobs, live: no restart, the same process.",
        subcommands = {KnobCommand.Set.class, KnobCommand.ListKnobs.class})
final class KnobCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: beckon knob set SERVICE NAME=VALUE, or beckon knob list SERVICE");
    }

    /** What both subcommands take: the service and, optionally, the one target to work on. */
    abstract static class OnService implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        ProfileOptions profile;

        @Parameters(index = "0", paramLabel = "SERVICE", description = "A service of the current generation.")
        String service;

        @Option(names = "--target", paramLabel = "TARGET", description = "Only its instance on TARGET (default: every instance).")
        String target;

        /** The instances to work on; the message says what to do when there are none. */
        List<ManifestEntry> instances(Manifest recorded, String profileName) throws PlanningException {
            List<ManifestEntry> all = recorded.entries().stream().filter(e -> e.service().equals(service)).toList();
            if (all.isEmpty()) {
                throw new PlanningException("service " + Messages.name(service) + " is not deployed in profile " + profileName
                        + "; `beckon status` shows what is");
            }
            List<ManifestEntry> chosen = target == null ? all : all.stream().filter(e -> e.target().equals(target)).toList();
            if (chosen.isEmpty()) {
                throw new PlanningException("service " + service + " does not run on target " + Messages.name(target) + "; it runs on "
                        + String.join(", ", all.stream().map(ManifestEntry::target).toList()));
            }
            if (chosen.get(0).knobs().isEmpty()) {
                throw new PlanningException("service " + service + " has no knobs; declare them in [services." + service
                        + ".knobs] and deploy");
            }
            return chosen;
        }
    }

    @Command(name = "set", description = "Set a knob of a running service in place; it sees the new value at its next read.")
    static final class Set extends OnService {
        @Parameters(index = "1", paramLabel = "NAME=VALUE", description = "The knob and its new value.")
        String assignment;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            // Under the profile's lock, which a deployment holds throughout: a value set while a deployment changes
            // the knob layout would go into the region it is replacing, and be lost.
            try (Deployments deployments = profile.openForChanges(spec.commandLine().getErr(), "knob set")) {
                int equals = assignment.indexOf('=');
                if (equals < 1) {
                    throw new PlanningException("give the knob as NAME=VALUE, not " + Messages.quote(assignment));
                }
                String name = assignment.substring(0, equals);
                String value = assignment.substring(equals + 1);
                Manifest recorded = deployments.recorded();
                List<ManifestEntry> instances = instances(recorded, deployments.profile());
                // Checked here, before any target is asked: a wrong name or value changes nothing anywhere.
                List<Knob> knobs = instances.get(0).knobs();
                try {
                    knobs.get(KnobRegion.indexOf(knobs, name)).parse(value);
                } catch (IllegalArgumentException e) {
                    throw new PlanningException("service " + service + ": " + e.getMessage() + ". Nothing was changed.", e);
                }
                for (ManifestEntry entry : instances) {
                    deployments.session(recorded, entry.target()).setKnob(entry, name, value);
                    out.println(entry.id() + ": " + name + "=" + value);
                }
                out.flush();
                return ExitCodes.OK;
            } catch (PlanningException e) {
                return ExitCodes.error(spec, e);
            } catch (ActivationException e) {
                return ExitCodes.error(spec, e);
            }
        }
    }

    @Command(name = "list", description = "Show the knobs of a deployed service and their values now.")
    static final class ListKnobs extends OnService {
        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Deployments deployments = profile.open(spec.commandLine().getErr())) {
                Manifest recorded = deployments.recorded();
                for (ManifestEntry entry : instances(recorded, deployments.profile())) {
                    Map<String, String> values = deployments.session(recorded, entry.target()).knobs(entry);
                    out.println(entry.id() + ":");
                    for (int i = 0; i < entry.knobs().size(); i++) {
                        Knob knob = entry.knobs().get(i);
                        out.println("  " + knob.name() + "=" + Messages.printable(String.valueOf(values.get(knob.name())))
                                + "  (" + describe(knob) + ", slot " + i + " at offset " + (KnobRegion.HEADER + 8 * i) + ")");
                    }
                }
                out.flush();
                return ExitCodes.OK;
            } catch (PlanningException e) {
                return ExitCodes.error(spec, e);
            } catch (ActivationException e) {
                return ExitCodes.error(spec, e);
            }
        }

        private static String describe(Knob knob) {
            return switch (knob.type()) {
                case Knob.INT -> "int " + knob.min() + ".." + knob.max() + ", default " + knob.format(knob.defaultValue());
                case Knob.ENUM -> "enum " + String.join("|", knob.values()) + ", default " + knob.format(knob.defaultValue());
                default -> "bool, default " + knob.format(knob.defaultValue());
            };
        }
    }
}
