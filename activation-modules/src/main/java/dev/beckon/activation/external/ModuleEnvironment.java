package dev.beckon.activation.external;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The variables an external module is called with: the instance's settings and its container's, each
 * as its own variable, never on the command line (they may be secrets). The service's own environment
 * and argv are not among them: they are files in the instance directory (see {@link ExternalModule}).
 */
final class ModuleEnvironment {
    static final String PREFIX = "BECKON_";
    static final String CONTAINER_PREFIX = "BECKON_CONTAINER_";
    static final String PORT_PREFIX = "BECKON_PORT_";
    static final String LIMIT_PREFIX = "BECKON_LIMIT_";

    private ModuleEnvironment() {}

    /**
     * The variables for a call about this instance.
     *
     * @throws IllegalArgumentException when two container settings or ports would become one variable
     */
    static SortedMap<String, String> of(ServiceInstance instance, SortedMap<String, String> container) {
        SortedMap<String, String> variables = new TreeMap<>();
        variables.put("BECKON_PROFILE", instance.profile());
        variables.put("BECKON_SERVICE", instance.service());
        variables.put("BECKON_TARGET", instance.target());
        variables.put("BECKON_TYPE", instance.type());
        variables.put("BECKON_DESCRIPTION", instance.description());
        variables.put("BECKON_STATE_DIR", instance.stateDirectory().toString());
        variables.put("BECKON_INSTANCE_DIR", instance.instanceDirectory().toString());
        variables.put("BECKON_PACKAGE", instance.packagePath().map(Object::toString).orElse(""));
        variables.put("BECKON_ON_DEMAND", String.valueOf(instance.isOnDemand()));
        variables.put("BECKON_LISTEN", instance.onDemand()
                .map(a -> a.listen().stream().map(Object::toString).collect(Collectors.joining(" "))).orElse(""));
        variables.put("BECKON_IDLE_TIMEOUT", instance.onDemand().map(a -> Durations.format(a.idleTimeout())).orElse("0"));
        variables.put("BECKON_ACCEPT", String.valueOf(instance.onDemand().map(ServiceInstance.Activation::accept).orElse(false)));
        variables.put("BECKON_PORTS", instance.ports().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" ")));
        putAll(variables, PORT_PREFIX, "port", instance.ports().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue()))));
        putAll(variables, CONTAINER_PREFIX, "container setting", container);
        // Memory in bytes, cpu in percent of one CPU ("50%"), the rest counts; the module enforces them or refuses the instance.
        putAll(variables, LIMIT_PREFIX, "limit", instance.limits().toMap());
        if (!instance.secrets().isEmpty()) {
            // Names only: the values are files in the instance directory, which the launcher names in CREDENTIALS_DIRECTORY.
            variables.put("BECKON_SECRETS", String.join(" ", instance.secrets()));
            variables.put("BECKON_CREDENTIALS_DIRECTORY", dev.beckon.activation.Credentials.directory(instance).toString());
        }
        return variables;
    }

    /**
     * The container's settings as variables.
     *
     * @throws IllegalArgumentException when two settings would become one variable
     */
    static SortedMap<String, String> containerVariables(SortedMap<String, String> container) {
        SortedMap<String, String> variables = new TreeMap<>();
        putAll(variables, CONTAINER_PREFIX, "container setting", container);
        return variables;
    }

    /**
     * A variable's name for a setting or port name: upper case, every character that is not a letter
     * or digit an underscore ({@code auto-start} becomes {@code AUTO_START}).
     */
    static String variableName(String prefix, String name) {
        StringBuilder out = new StringBuilder(prefix);
        for (char c : name.toUpperCase(Locale.ROOT).toCharArray()) {
            out.append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
        }
        return out.toString();
    }

    private static void putAll(SortedMap<String, String> variables, String prefix, String what, Map<String, String> values) {
        Map<String, String> from = new HashMap<>();
        for (Map.Entry<String, String> value : new TreeMap<>(values).entrySet()) {
            String name = variableName(prefix, value.getKey());
            if (from.containsKey(name)) {
                throw new IllegalArgumentException("the " + what + "s " + from.get(name) + " and " + value.getKey() + " would both be passed as "
                        + name + "; rename one");
            }
            from.put(name, value.getKey());
            variables.put(name, value.getValue());
        }
    }
}
