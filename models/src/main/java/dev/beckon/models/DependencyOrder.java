package dev.beckon.models;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The services' dependency graph: its cycles and the order to activate in. Both run in time linear in
 * the services and dependencies, and neither recurses, so a chain or cycle of any length costs no
 * more than its size and cannot overflow the stack.
 */
final class DependencyOrder {
    private DependencyOrder() {}

    /**
     * One cycle in each group of services that depend on each other in a circle (each strongly
     * connected component of the graph that is not a single service without a dependency on itself).
     * A cycle starts at the group's alphabetically first service and follows, from each service,
     * its first dependency in the group, as written. Dependencies on services not in the map are left out.
     */
    static List<List<String>> cycles(Map<String, Service> services) {
        List<List<String>> cycles = new ArrayList<>();
        for (List<String> component : stronglyConnectedComponents(services)) {
            String only = component.get(0);
            if (component.size() > 1 || services.get(only).dependsOn().contains(only)) {
                cycles.add(walkToCycle(services, component));
            }
        }
        return cycles;
    }

    /**
     * Every service, each after the services it depends on, ties in alphabetical order (Kahn's
     * algorithm). Services in a cycle are left out; the model is only resolved without cycles.
     */
    static List<String> activationOrder(Map<String, Service> services) {
        Map<String, Integer> waitingOn = new HashMap<>();
        Map<String, List<String>> dependants = new HashMap<>();
        TreeSet<String> ready = new TreeSet<>();
        for (Service service : services.values()) {
            int known = 0;
            for (String dependency : service.dependsOn()) {
                if (services.containsKey(dependency)) {
                    known++;
                    dependants.computeIfAbsent(dependency, k -> new ArrayList<>()).add(service.name());
                }
            }
            waitingOn.put(service.name(), known);
            if (known == 0) {
                ready.add(service.name());
            }
        }
        List<String> order = new ArrayList<>(services.size());
        while (!ready.isEmpty()) {
            String next = ready.pollFirst();
            order.add(next);
            for (String dependant : dependants.getOrDefault(next, List.of())) {
                if (waitingOn.merge(dependant, -1, Integer::sum) == 0) {
                    ready.add(dependant);
                }
            }
        }
        return order;
    }

    /** Tarjan's algorithm with an explicit stack instead of recursion; each component's members in alphabetical order. */
    private static List<List<String>> stronglyConnectedComponents(Map<String, Service> services) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> lowLink = new HashMap<>();
        Deque<String> onPath = new ArrayDeque<>();
        Set<String> onPathSet = new HashSet<>();
        List<List<String>> components = new ArrayList<>();
        /** A service being searched, and how many of its dependencies it has looked at. */
        record Frame(String service, int[] next) {}
        for (String root : services.keySet()) {
            if (index.containsKey(root)) {
                continue;
            }
            Deque<Frame> search = new ArrayDeque<>();
            search.push(new Frame(root, new int[] {0}));
            index.put(root, index.size());
            lowLink.put(root, index.get(root));
            onPath.push(root);
            onPathSet.add(root);
            while (!search.isEmpty()) {
                Frame frame = search.peek();
                List<String> dependencies = services.get(frame.service()).dependsOn();
                if (frame.next()[0] < dependencies.size()) {
                    String dependency = dependencies.get(frame.next()[0]++);
                    if (!services.containsKey(dependency)) {
                        continue;
                    }
                    if (!index.containsKey(dependency)) {
                        index.put(dependency, index.size());
                        lowLink.put(dependency, index.get(dependency));
                        onPath.push(dependency);
                        onPathSet.add(dependency);
                        search.push(new Frame(dependency, new int[] {0}));
                    } else if (onPathSet.contains(dependency)) {
                        lowLink.merge(frame.service(), index.get(dependency), Math::min);
                    }
                    continue;
                }
                search.pop();
                if (!search.isEmpty()) {
                    lowLink.merge(search.peek().service(), lowLink.get(frame.service()), Math::min);
                }
                if (lowLink.get(frame.service()).equals(index.get(frame.service()))) {
                    TreeSet<String> members = new TreeSet<>();
                    String member;
                    do {
                        member = onPath.pop();
                        onPathSet.remove(member);
                        members.add(member);
                    } while (!member.equals(frame.service()));
                    components.add(new ArrayList<>(members));
                }
            }
        }
        return components;
    }

    /**
     * In a strongly connected component every service has a dependency inside it, so walking from
     * one along the first such dependency of each must come back to a service already walked: a cycle.
     */
    private static List<String> walkToCycle(Map<String, Service> services, List<String> component) {
        Set<String> members = new HashSet<>(component);
        Map<String, Integer> walked = new HashMap<>();
        List<String> path = new ArrayList<>();
        String current = component.get(0);
        while (!walked.containsKey(current)) {
            walked.put(current, path.size());
            path.add(current);
            String from = current;
            current = services.get(from).dependsOn().stream().filter(members::contains).findFirst()
                    .orElseThrow(() -> new IllegalStateException(from + " has no dependency in its own component"));
        }
        return List.copyOf(path.subList(walked.get(current), path.size()));
    }
}
