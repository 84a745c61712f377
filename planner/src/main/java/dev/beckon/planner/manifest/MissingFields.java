package dev.beckon.planner.manifest;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a field that a record read from JSON left null: JSON's {@code null}, or a field the file did not have.
 * beckon's records have no field that may be absent but those named, so one null means the file is damaged; it is
 * named (as {@code entries[2].exec[0]}) in the error, before anything dereferences it.
 */
public final class MissingFields {
    private MissingFields() {}

    /**
     * The path of the first null inside {@code value}, which is itself reported as {@code root}.
     *
     * @param mayBeNull names of record components that may be null (such as {@code fromGeneration})
     */
    public static Optional<String> first(Object value, String root, Set<String> mayBeNull) {
        if (value == null) {
            return Optional.of(root);
        }
        if (value instanceof Record record) {
            for (RecordComponent component : record.getClass().getRecordComponents()) {
                Object field;
                try {
                    field = component.getAccessor().invoke(record);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + component.getName() + " of " + record.getClass(), e);
                }
                if (field == null && mayBeNull.contains(component.getName())) {
                    continue;
                }
                Optional<String> found = first(field, root.isEmpty() ? component.getName() : root + "." + component.getName(), mayBeNull);
                if (found.isPresent()) {
                    return found;
                }
            }
        } else if (value instanceof Collection<?> collection) {
            int index = 0;
            for (Object element : collection) {
                Optional<String> found = first(element, root + "[" + index++ + "]", mayBeNull);
                if (found.isPresent()) {
                    return found;
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                Optional<String> found = first(entry.getValue(), root + "[" + entry.getKey() + "]", mayBeNull);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }
}
