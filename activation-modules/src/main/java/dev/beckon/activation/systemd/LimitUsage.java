package dev.beckon.activation.systemd;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.systemd.SystemdBus.SystemdCallException;
import dev.beckon.models.Limits;
import dev.beckon.models.Sizes;
import java.util.List;
import java.util.OptionalLong;

/**
 * What a running instance uses of its memory and task limits, as systemd counts them (MemoryCurrent=,
 * TasksCurrent= over D-Bus), for status. For one process per connection the running connections'
 * services are added up, each having the limit of its own.
 */
final class LimitUsage {
    private static final String SERVICE_INTERFACE = "org.freedesktop.systemd1.Service";

    private LimitUsage() {}

    /** {@code "; memory 12.3MiB of 256MiB, tasks 3 of 64"}; empty when the instance limits neither. */
    static String of(SystemdBus bus, ServiceInstance instance, List<String> units) throws SystemdCallException {
        Limits limits = instance.limits();
        StringBuilder text = new StringBuilder();
        String each = units.size() > 1 ? " each" : "";
        if (limits.memoryBytes().isPresent()) {
            OptionalLong used = sum(bus, units, "MemoryCurrent");
            text.append("; memory ").append(used.isPresent() ? Sizes.approximate(used.getAsLong()) : "not counted")
                    .append(" of ").append(Sizes.format(limits.memoryBytes().getAsLong())).append(each);
        }
        if (limits.tasks().isPresent()) {
            OptionalLong used = sum(bus, units, "TasksCurrent");
            text.append(text.length() == 0 ? "; " : ", ").append("tasks ").append(used.isPresent() ? String.valueOf(used.getAsLong())
                    : "not counted").append(" of ").append(limits.tasks().getAsInt()).append(each);
        }
        return text.toString();
    }

    /** The units' property added up; empty when systemd counts it for none (UINT64_MAX: no controller). */
    private static OptionalLong sum(SystemdBus bus, List<String> units, String property) throws SystemdCallException {
        long total = 0;
        boolean counted = false;
        for (String unit : units) {
            long value = ((Number) bus.property(unit, SERVICE_INTERFACE, property)).longValue();
            if (value != -1) {
                total += value;
                counted = true;
            }
        }
        return counted ? OptionalLong.of(total) : OptionalLong.empty();
    }
}
