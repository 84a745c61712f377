package dev.beckon.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Order statistics of a sample: medians and percentiles rather than means, which one stall would drag. */
record Stats(List<Double> sorted) {
    Stats {
        sorted = new ArrayList<>(sorted);
        Collections.sort(sorted);
        sorted = List.copyOf(sorted);
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("no measurements");
        }
    }

    static Stats of(List<Double> values) {
        return new Stats(values);
    }

    int count() {
        return sorted.size();
    }

    double median() {
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    /** Nearest rank: the smallest value at or above {@code percent} of the sample (with 100 values, p99 is the second largest). */
    double percentile(double percent) {
        int rank = (int) Math.ceil(percent / 100 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double min() {
        return sorted.get(0);
    }

    double max() {
        return sorted.get(sorted.size() - 1);
    }
}
