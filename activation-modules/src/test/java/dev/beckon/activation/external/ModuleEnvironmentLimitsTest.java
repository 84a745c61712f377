package dev.beckon.activation.external;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Limits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** An external module gets the instance's limits as BECKON_LIMIT_* and nothing for those the model leaves unset. */
class ModuleEnvironmentLimitsTest {
    private static SortedMap<String, String> limitVariables(Limits limits) {
        ServiceInstance instance = new ServiceInstance("p", "s", "local", "my-module", "", List.of("/bin/s"), new TreeMap<>(),
                new TreeMap<>(), Optional.empty(), Optional.empty(), Path.of("/i"), new TreeMap<>(), Path.of("/state")).withLimits(limits);
        return ModuleEnvironment.of(instance, new TreeMap<>()).entrySet().stream().filter(e -> e.getKey().startsWith("BECKON_LIMIT_"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    @Test
    void everyLimitSetIsOneVariable() {
        Limits limits = new Limits(OptionalLong.of(1L << 30), OptionalInt.of(8), OptionalInt.of(150), OptionalInt.empty(),
                OptionalInt.of(100), OptionalInt.empty());
        assertEquals(Map.of("BECKON_LIMIT_MEMORY", "1073741824", "BECKON_LIMIT_TASKS", "8", "BECKON_LIMIT_CPU", "150%",
                "BECKON_LIMIT_CONNECTIONS", "100"), limitVariables(limits));
        assertEquals(Map.of(), limitVariables(Limits.NONE));
    }
}
