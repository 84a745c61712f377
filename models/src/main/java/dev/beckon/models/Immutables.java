package dev.beckon.models;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Defensive copies that keep a sorted order, which {@code Map.copyOf} would lose. */
final class Immutables {
    private Immutables() {}

    static <K extends Comparable<K>, V> SortedMap<K, V> sortedMap(Map<K, V> source) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(source));
    }
}
