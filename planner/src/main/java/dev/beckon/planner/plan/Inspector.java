package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.target.LocalTargetSession;
import dev.beckon.planner.target.TargetSessions;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Asks the targets' modules what runs now, for the instances a plan would otherwise trust to be as recorded: several
 * targets at once, since asking one over SSH is mostly waiting (its connection, its agent's start, its answer).
 */
public final class Inspector {
    private final TargetSessions sessions;
    /** How many targets are asked at once. */
    private final int parallel;

    public Inspector(TargetSessions sessions) {
        this(sessions, 1);
    }

    /** An inspector that asks up to {@code parallel} targets at once. */
    public Inspector(TargetSessions sessions, int parallel) {
        if (parallel < 1) {
            throw new IllegalArgumentException("cannot ask " + parallel + " targets at once");
        }
        this.sessions = sessions;
        this.parallel = parallel;
    }

    /**
     * The live status of every recorded instance.
     *
     * @throws PlanningException when a target cannot be asked; the plan must not guess
     */
    public Map<String, InstanceStatus> live(Manifest recorded) throws PlanningException {
        return live(recorded, Manifest.empty(recorded.profile()));
    }

    /**
     * The live status of every recorded instance, having also made sure that every target and module the
     * desired manifest needs answers, so that an unreachable target fails the plan before anything changes.
     *
     * @throws PlanningException when a target cannot be asked; the plan must not guess
     */
    public Map<String, InstanceStatus> live(Manifest recorded, Manifest desired) throws PlanningException {
        sessions.know(recorded, desired);
        // Per target, every recorded instance in one batch; then, also per target, one desired instance of each module
        // and container not asked yet, only to make sure it answers (its id may be a recorded one's, so apart).
        Map<String, List<ManifestEntry>> byTarget = new LinkedHashMap<>();
        Map<String, List<ManifestEntry>> checks = new LinkedHashMap<>();
        Set<String> asked = new HashSet<>();
        for (ManifestEntry entry : recorded.entries()) {
            byTarget.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry);
            asked.add(LocalTargetSession.key(entry));
        }
        for (ManifestEntry entry : desired.entries()) {
            if (asked.add(LocalTargetSession.key(entry))) {
                checks.computeIfAbsent(entry.target(), t -> new ArrayList<>()).add(entry);
            }
        }
        Set<String> targets = new java.util.LinkedHashSet<>(byTarget.keySet());
        targets.addAll(checks.keySet());
        Map<String, InstanceStatus> found = new HashMap<>();
        for (Map<String, InstanceStatus> answer : askAll(targets, byTarget, checks)) {
            found.putAll(answer);
        }
        Map<String, InstanceStatus> statuses = new LinkedHashMap<>();
        for (ManifestEntry entry : recorded.entries()) {
            statuses.put(entry.id(), found.get(entry.id()));
        }
        return statuses;
    }

    /**
     * Each target's answers, in the order of {@code targets}, asked up to {@link #parallel} at a time. When several
     * cannot be asked, the first of them in that order is the error, whichever failed first.
     */
    private List<Map<String, InstanceStatus>> askAll(Set<String> targets, Map<String, List<ManifestEntry>> byTarget,
            Map<String, List<ManifestEntry>> checks) throws PlanningException {
        List<java.util.concurrent.Callable<Map<String, InstanceStatus>>> questions = new ArrayList<>();
        for (String target : targets) {
            questions.add(() -> {
                Map<String, InstanceStatus> answer = byTarget.containsKey(target) ? ask(byTarget.get(target)) : Map.of();
                if (checks.containsKey(target)) {
                    ask(checks.get(target));
                }
                return answer;
            });
        }
        if (questions.size() <= 1 || parallel == 1) {
            List<Map<String, InstanceStatus>> answers = new ArrayList<>();
            for (java.util.concurrent.Callable<Map<String, InstanceStatus>> question : questions) {
                answers.add(call(question));
            }
            return answers;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(parallel, questions.size()),
                runnable -> {
                    Thread thread = new Thread(runnable, "beckon-inspect");
                    thread.setDaemon(true);
                    return thread;
                });
        try {
            List<java.util.concurrent.Future<Map<String, InstanceStatus>>> futures = pool.invokeAll(questions);
            List<Map<String, InstanceStatus>> answers = new ArrayList<>();
            for (java.util.concurrent.Future<Map<String, InstanceStatus>> future : futures) {
                try {
                    answers.add(future.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof PlanningException planning) {
                        throw planning;
                    }
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
            return answers;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlanningException("interrupted while asking the targets what runs. Nothing was changed.", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Map<String, InstanceStatus> call(java.util.concurrent.Callable<Map<String, InstanceStatus>> question)
            throws PlanningException {
        try {
            return question.call();
        } catch (PlanningException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, InstanceStatus> ask(List<ManifestEntry> entries) throws PlanningException {
        try {
            return sessions.of(entries.get(0)).queryAll(entries);
        } catch (ActivationException e) {
            ManifestEntry entry = entries.stream().filter(one -> one.id().equals(e.instance())).findFirst().orElse(entries.get(0));
            throw new PlanningException("target " + entry.target() + " cannot be asked what runs (" + entry.type() + ", for "
                    + entry.id() + "): " + e.getMessage() + ". Nothing was changed.", e);
        }
    }
}
