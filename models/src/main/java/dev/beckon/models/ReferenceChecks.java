package dev.beckon.models;

import dev.beckon.models.ModelDraft.TemplateUse;
import dev.beckon.models.TomlFile.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The checks across the three files: placements name known services and targets that offer their
 * type, one service is placed at most once on one service manager, dependencies are known, placed and free of cycles, and every placeholder refers to something.
 */
final class ReferenceChecks {
    private final ModelDraft draft;
    private final Diagnostics diagnostics;

    ReferenceChecks(ModelDraft draft) {
        this.draft = draft;
        this.diagnostics = draft.diagnostics;
    }

    void checkDistribution() {
        draft.distribution.forEach((service, placed) -> {
            Node node = draft.distributionNodes.get(service);
            if (draft.servicesKnown && !draft.declaredServices.contains(service)) {
                diagnostics.error(node.keyWhere(), "unknown service " + Messages.name(service) + Suggestions.didYouMean(service, draft.declaredServices)
                        + "; services are defined in " + draft.files.services().getFileName());
            }
            Service definition = draft.services.get(service);
            for (String targetName : placed) {
                Target target = draft.targets.get(targetName);
                SourceLocation where = draft.placementLocations.get(service).get(targetName);
                if (draft.targetsKnown && !draft.declaredTargets.contains(targetName)) {
                    diagnostics.error(where, "unknown target " + Messages.name(targetName) + Suggestions.didYouMean(targetName, draft.declaredTargets)
                            + "; targets are defined in " + draft.files.infrastructure().getFileName());
                } else if (target != null && definition != null && !target.containers().containsKey(definition.type())) {
                    diagnostics.error(where, "service " + service + " has type " + definition.type() + ", which target "
                            + targetName + " does not offer (its containers: " + String.join(", ", target.containers().keySet())
                            + "); add [targets." + targetName + ".containers." + definition.type() + "]");
                }
            }
            if (definition != null) {
                checkSharedManagers(definition, placed);
            }
        });
    }

    /** Two instances of one service on one service manager would overwrite each other's files there. */
    private void checkSharedManagers(Service service, List<String> placed) {
        Map<String, String> firstOnManager = new TreeMap<>();
        for (String targetName : placed) {
            Target target = draft.targets.get(targetName);
            Optional<String> manager = target == null ? Optional.empty() : ServiceManagers.of(target, service.type());
            if (manager.isEmpty()) {
                continue;
            }
            String first = firstOnManager.putIfAbsent(manager.get(), targetName);
            if (first != null) {
                diagnostics.error(draft.placementLocations.get(service.name()).get(targetName), "service " + service.name()
                        + " is placed on targets " + first + " and " + targetName + ", which share one service manager (host "
                        + target.host() + ", the same " + service.type() + " settings), so their "
                        + ServiceManagers.namesOf(service.type()) + " would be the same; place it on one of them, or give "
                        + targetName + " a manager of its own (" + ServiceManagers.howToSeparate(service.type()) + ")");
            }
        }
    }

    void checkDependencies() {
        for (Service service : draft.services.values()) {
            for (String dependency : service.dependsOn()) {
                SourceLocation where = draft.dependencyLocations.get(service.name()).get(dependency);
                if (!draft.declaredServices.contains(dependency)) {
                    diagnostics.error(where, "service " + service.name() + " depends on unknown service " + Messages.name(dependency)
                            + Suggestions.didYouMean(dependency, draft.declaredServices));
                } else if (draft.distributionKnown && !draft.distribution.getOrDefault(service.name(), List.of()).isEmpty()
                        && draft.distribution.getOrDefault(dependency, List.of()).isEmpty()) {
                    diagnostics.error(where, "service " + service.name() + " depends on " + dependency
                            + ", which distribution.toml places on no target");
                }
            }
        }
        reportCycles();
    }

    private void reportCycles() {
        for (List<String> cycle : DependencyOrder.cycles(draft.services)) {
            String first = cycle.get(0);
            String second = cycle.size() > 1 ? cycle.get(1) : first;
            SourceLocation where = draft.dependencyLocations.get(first).get(second);
            List<String> shown = new ArrayList<>(cycle);
            shown.add(first);
            diagnostics.error(where, "dependency cycle: " + String.join(" -> ", shown));
        }
    }

    List<String> activationOrder() {
        if (diagnostics.hasErrors()) {
            return List.of();
        }
        return DependencyOrder.activationOrder(draft.services);
    }

    void checkTemplates() {
        for (TemplateUse use : draft.templateUses) {
            Service service = draft.services.get(use.service());
            if (service == null) {
                continue;
            }
            for (Placeholder placeholder : use.template().placeholders()) {
                checkPlaceholder(service, placeholder, use);
            }
        }
    }

    private void checkPlaceholder(Service service, Placeholder placeholder, TemplateUse use) {
        String name = service.name();
        if (placeholder instanceof Placeholder.PackagePath) {
            if (use.isListen()) {
                diagnostics.error(use.where(), "{package} cannot be part of a listen address");
            } else if (service.packagePath().isEmpty()) {
                diagnostics.error(use.where(), "{package} is used, but service " + name + " has no package");
            }
        } else if (placeholder instanceof Placeholder.Port p) {
            if (!service.ports().containsKey(p.name())) {
                diagnostics.error(use.where(), placeholder + ": service " + name + " has no port " + p.name()
                        + Suggestions.didYouMean(p.name(), service.ports().keySet()) + Suggestions.knownOrNone("its ports", service.ports().keySet()));
            }
        } else if (placeholder instanceof Placeholder.DependencyHost d) {
            checkDependencyReference(service, d.service(), placeholder, use);
        } else if (placeholder instanceof Placeholder.DependencyPort d) {
            if (checkDependencyReference(service, d.service(), placeholder, use)) {
                Service dependency = draft.services.get(d.service());
                if (!dependency.ports().containsKey(d.port())) {
                    diagnostics.error(use.where(), placeholder + ": service " + d.service() + " has no port " + d.port()
                            + Suggestions.didYouMean(d.port(), dependency.ports().keySet())
                            + Suggestions.knownOrNone("its ports", dependency.ports().keySet()));
                }
            }
        } else if (placeholder instanceof Placeholder.TargetProperty p) {
            for (String targetName : draft.distribution.getOrDefault(name, List.of())) {
                Target target = draft.targets.get(targetName);
                if (target != null && !target.properties().containsKey(p.key())) {
                    diagnostics.error(use.where(), placeholder + ": target " + targetName + ", where service " + name
                            + " is placed, has no property " + p.key() + Suggestions.didYouMean(p.key(), target.properties().keySet()));
                }
            }
        }
    }

    private boolean checkDependencyReference(Service service, String dependency, Placeholder placeholder, TemplateUse use) {
        if (!service.dependsOn().contains(dependency)) {
            diagnostics.error(use.where(), placeholder + " refers to " + dependency + ", which is not in depends-on of service "
                    + service.name() + Suggestions.didYouMean(dependency, service.dependsOn()));
            return false;
        }
        return draft.services.containsKey(dependency);
    }
}
