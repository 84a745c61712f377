package dev.beckon.models;

import java.util.List;
import java.util.SortedMap;

/**
 * A validated model: services, targets and the distribution of one onto the other, with every
 * service resolved per target. Immutable; obtained from {@link ModelLoader}.
 *
 * @param activationOrder every service, each after the services it depends on (ties alphabetical)
 * @param instances one per (service, target) of the distribution, by target, then in activation order
 * @param rollout how a deployment goes through the targets: in waves, or all at once
 */
public record SystemModel(
        ModelFiles files,
        SortedMap<String, Service> services,
        SortedMap<String, Target> targets,
        SortedMap<String, List<String>> distribution,
        List<String> activationOrder,
        List<InstanceSpec> instances,
        Rollout rollout) {

    public SystemModel(ModelFiles files, SortedMap<String, Service> services, SortedMap<String, Target> targets,
            SortedMap<String, List<String>> distribution, List<String> activationOrder, List<InstanceSpec> instances) {
        this(files, services, targets, distribution, activationOrder, instances, Rollout.NONE);
    }

    public SystemModel {
        services = Immutables.sortedMap(services);
        targets = Immutables.sortedMap(targets);
        distribution = Immutables.sortedMap(distribution);
        activationOrder = List.copyOf(activationOrder);
        instances = List.copyOf(instances);
        rollout = rollout == null ? Rollout.NONE : rollout;
    }

    /** The instances that run on one target, in activation order. */
    public List<InstanceSpec> instancesOn(String target) {
        return instances.stream().filter(i -> i.target().name().equals(target)).toList();
    }
}
