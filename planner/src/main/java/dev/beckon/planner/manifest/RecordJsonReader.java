package dev.beckon.planner.manifest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads JSON into records through their canonical constructors, over jackson-core's streaming parser, as
 * jackson-databind reads what {@link ManifestJson} writes: a field the JSON lacks, or gives as {@code null}, is
 * passed as null (0 or false for a primitive), so the records' compact constructors fill in what older manifests
 * lack; a field no component names is an error. Every command that looks at a profile reads its current manifest,
 * and databind's first read of these records (building a deserializer for each by introspection) cost several
 * times what reading them takes; this reads them with the types their components declare and nothing else.
 *
 * <p>It is stricter than databind where a manifest cannot be right: no null may be left in what it returns (a
 * component the constructor left null, an element of a list, a value of a map: beckon's records have no field that
 * may be absent but those their constructors fill), no text may follow the value, and numbers are not read from
 * strings. Its errors name the place ({@code entries[2].exec[0]}) and the line and column.
 */
final class RecordJsonReader {
    private static final JsonFactory FACTORY = new JsonFactory();
    /** Each record class's components and constructor, worked out once. */
    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type);
        }
    };

    private RecordJsonReader() {}

    /** What a JSON value does not fit. */
    static final class MismatchException extends IOException {
        MismatchException(String message) {
            super(message);
        }
    }

    private record Shape(Constructor<?> constructor, RecordComponent[] components, Map<String, Integer> indexes) {
        static Shape of(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            Map<String, Integer> indexes = new HashMap<>();
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                indexes.put(components[i].getName(), i);
            }
            try {
                return new Shape(type.getDeclaredConstructor(types), components, indexes);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(type + " has no canonical constructor", e);
            }
        }
    }

    /** The record of {@code type} that {@code json} holds. */
    static <T extends Record> T read(byte[] json, Class<T> type) throws IOException {
        try (JsonParser parser = FACTORY.createParser(json)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new MismatchException("it is empty");
            }
            Object value = value(parser, type, "");
            if (value == null) {
                throw new MismatchException("it is JSON null");
            }
            if (parser.nextToken() != null) {
                throw mismatch(parser, "", "more follows the value");
            }
            return type.cast(value);
        } catch (JsonParseException e) {
            throw new MismatchException(e.getOriginalMessage() + at(e.getLocation()));
        }
    }

    /** The value at the parser's current token, of {@code type}; null for JSON null. */
    private static Object value(JsonParser parser, Type type, String where) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        Class<?> raw = raw(type);
        if (raw == String.class) {
            expect(parser, token == JsonToken.VALUE_STRING, where, "a string");
            return parser.getText();
        }
        if (raw == int.class || raw == Integer.class) {
            expect(parser, token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() == JsonParser.NumberType.INT, where,
                    "a whole number of 32 bits");
            return parser.getIntValue();
        }
        if (raw == long.class || raw == Long.class) {
            expect(parser, token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER, where,
                    "a whole number of 64 bits");
            return parser.getLongValue();
        }
        if (raw == boolean.class || raw == Boolean.class) {
            expect(parser, token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE, where, "true or false");
            return token == JsonToken.VALUE_TRUE;
        }
        if (raw == List.class) {
            expect(parser, token == JsonToken.START_ARRAY, where, "a list");
            Type element = argument(type, 0);
            List<Object> list = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                list.add(present(parser, value(parser, element, where + "[" + list.size() + "]"), where + "[" + list.size() + "]"));
            }
            return list;
        }
        if (raw == Map.class || raw == SortedMap.class) {
            expect(parser, token == JsonToken.START_OBJECT, where, "an object");
            Type valueType = argument(type, 1);
            Map<String, Object> map = raw == SortedMap.class ? new TreeMap<>() : new LinkedHashMap<>();
            for (String key = parser.nextFieldName(); key != null; key = parser.nextFieldName()) {
                parser.nextToken();
                String at = where + "[" + key + "]";
                map.put(key, present(parser, value(parser, valueType, at), at));
            }
            return map;
        }
        if (raw.isRecord()) {
            expect(parser, token == JsonToken.START_OBJECT, where, "an object");
            return record(parser, raw, where);
        }
        throw new IllegalStateException("no JSON reading for " + type + " (" + where + ")");
    }

    private static Object record(JsonParser parser, Class<?> type, String where) throws IOException {
        Shape shape = SHAPES.get(type);
        Object[] arguments = new Object[shape.components().length];
        for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
            Integer index = shape.indexes().get(name);
            if (index == null) {
                throw mismatch(parser, where, "no field " + name + " belongs here");
            }
            parser.nextToken();
            RecordComponent component = shape.components()[index];
            arguments[index] = value(parser, component.getGenericType(), path(where, component.getName()));
        }
        boolean[] absent = new boolean[arguments.length];
        for (int i = 0; i < arguments.length; i++) {
            Class<?> kind = shape.components()[i].getType();
            absent[i] = arguments[i] == null && !kind.isPrimitive();
            if (arguments[i] == null && kind.isPrimitive()) {
                arguments[i] = zero(kind);
            }
        }
        Object made;
        try {
            made = shape.constructor().newInstance(arguments);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NullPointerException) {
                // The constructor needed one of those it was given none for; which one it does not say.
                List<String> none = new ArrayList<>();
                for (int i = 0; i < arguments.length; i++) {
                    if (absent[i]) {
                        none.add(shape.components()[i].getName());
                    }
                }
                throw mismatch(parser, where, (where.isEmpty() ? "it" : where) + " lacks what it needs among " + String.join(", ", none));
            }
            throw mismatch(parser, where, (where.isEmpty() ? "it" : where) + " cannot be read (" + cause.getMessage() + ")");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make " + type, e);
        }
        // A component given a value keeps it (no constructor of these records sets one to null); one given none must
        // have been filled in by the constructor.
        for (int i = 0; i < arguments.length; i++) {
            if (absent[i]) {
                RecordComponent component = shape.components()[i];
                Object field;
                try {
                    field = component.getAccessor().invoke(made);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + component.getName() + " of " + type, e);
                }
                present(parser, field, path(where, component.getName()));
            }
        }
        return made;
    }

    /** What a primitive component the JSON lacks is: as databind, 0 or false. */
    private static Object zero(Class<?> primitive) {
        if (primitive == boolean.class) {
            return Boolean.FALSE;
        }
        if (primitive == int.class) {
            return 0;
        }
        if (primitive == long.class) {
            return 0L;
        }
        throw new IllegalStateException("no JSON reading for " + primitive);
    }

    private static Object present(JsonParser parser, Object value, String where) throws MismatchException {
        if (value == null) {
            throw mismatch(parser, where, "it has no " + where);
        }
        return value;
    }

    private static void expect(JsonParser parser, boolean fits, String where, String what) throws MismatchException {
        if (!fits) {
            throw mismatch(parser, where, (where.isEmpty() ? "it" : where) + " is " + describe(parser.currentToken()) + ", not " + what);
        }
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "a list";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "true or false";
            default -> String.valueOf(token);
        };
    }

    private static MismatchException mismatch(JsonParser parser, String where, String what) {
        return new MismatchException(what + at(parser.currentLocation()));
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String path(String where, String name) {
        return where.isEmpty() ? name : where + "." + name;
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
            return c;
        }
        throw new IllegalStateException("no JSON reading for " + type);
    }

    private static Type argument(Type type, int index) {
        if (type instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[index];
        }
        throw new IllegalStateException("no element type in " + type);
    }
}
