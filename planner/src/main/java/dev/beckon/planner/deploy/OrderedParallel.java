package dev.beckon.planner.deploy;

import dev.beckon.activation.ActivationException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Runs actions on items at most {@code parallel} at a time, each only once the items it waits for are
 * done, preferring the list's order. After the first failure, or once asked to stop, it starts nothing
 * new, lets what runs finish, and throws: it never returns while an action still runs, so what follows (an
 * undo) never overlaps one. With one at a time it is the list's order exactly, when that order respects
 * the prerequisites.
 */
final class OrderedParallel {
    private OrderedParallel() {}

    /** The items one item waits for. */
    @FunctionalInterface
    interface Prerequisites<T> {
        Set<T> of(T item);
    }

    @FunctionalInterface
    interface Action<T> {
        void run(T item) throws ActivationException;
    }

    static <T> void run(List<T> items, Prerequisites<T> prerequisites, int parallel, Action<T> action) throws ActivationException {
        run(items, prerequisites, parallel, Optional::empty, action);
    }

    /**
     * @param stop why to start nothing more, once something asked: checked before each item starts
     */
    static <T> void run(List<T> items, Prerequisites<T> prerequisites, int parallel, Supplier<Optional<String>> stop,
            Action<T> action) throws ActivationException {
        if (items.isEmpty()) {
            return;
        }
        if (parallel == 1 || items.size() == 1) {
            for (T item : items) {
                throwIfStopped(stop);
                action.run(item);
            }
            return;
        }
        Set<T> done = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<T> started = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Future<T>, T> running = new IdentityHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(Math.min(parallel, items.size()), runnable -> {
            Thread thread = new Thread(runnable, "beckon-target-worker");
            thread.setDaemon(true);
            return thread;
        });
        ExecutorCompletionService<T> completions = new ExecutorCompletionService<>(threads);
        ActivationException failure = null;
        try {
            while (done.size() < items.size()) {
                if (failure == null) {
                    failure = stopped(stop);
                }
                if (failure == null) {
                    for (T item : items) {
                        if (running.size() >= parallel) {
                            break;
                        }
                        if (!started.contains(item) && done.containsAll(prerequisites.of(item))) {
                            started.add(item);
                            running.put(completions.submit(() -> {
                                action.run(item);
                                return item;
                            }), item);
                        }
                    }
                }
                if (running.isEmpty()) {
                    if (failure != null) {
                        break;
                    }
                    List<T> waiting = new ArrayList<>(items);
                    waiting.removeIf(started::contains);
                    throw new IllegalStateException("items wait for each other and none can start: " + waiting);
                }
                Future<T> finished;
                try {
                    finished = completions.take();
                } catch (InterruptedException e) {
                    // An interrupt asks to stop, as a signal does: the running actions still finish first.
                    failure = failure == null ? new ActivationException("deployment", "interrupted", e) : failure;
                    continue;
                }
                T item = running.remove(finished);
                done.add(item);
                try {
                    finished.get();
                } catch (InterruptedException e) {
                    throw new IllegalStateException("a finished action cannot be waited for", e);
                } catch (ExecutionException e) {
                    ActivationException thrown = e.getCause() instanceof ActivationException a ? a
                            : new ActivationException(String.valueOf(item), "unexpected error: " + e.getCause(), e.getCause());
                    failure = failure == null ? thrown : failure;
                }
            }
        } finally {
            threads.shutdown();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void throwIfStopped(Supplier<Optional<String>> stop) throws ActivationException {
        ActivationException stopped = stopped(stop);
        if (stopped != null) {
            throw stopped;
        }
    }

    private static ActivationException stopped(Supplier<Optional<String>> stop) {
        return stop.get().map(why -> new ActivationException("deployment", "stopped by " + why + " before its next step"))
                .orElse(null);
    }
}
