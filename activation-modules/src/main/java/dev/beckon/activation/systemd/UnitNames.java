package dev.beckon.activation.systemd;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.ProfileNames;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The units of one instance: {@code beckon-PROFILE-SERVICE.service} and, on demand, its sockets.
 * One listener: {@code beckon-PROFILE-SERVICE.socket}. Several: one socket unit per listener,
 * {@code beckon-PROFILE-SERVICE_NAME.socket} (an underscore cannot occur in service names, so no
 * two instances share a unit name), each with its {@code FileDescriptorName=}.
 *
 * @param service the service unit; for one process per connection, the template {@code ...@.service}
 * @param sockets the socket units with the name of the listener each holds, in the model's order
 */
record UnitNames(String service, List<Socket> sockets) {
    private static final Pattern PROFILE = ProfileNames.PATTERN;

    /** A socket unit and the name its file descriptor carries ({@code LISTEN_FDNAMES}). */
    record Socket(String unit, String fileDescriptorName, ListenAddress address) {}

    static UnitNames of(ServiceInstance instance) {
        if (!PROFILE.matcher(instance.profile()).matches()) {
            throw new IllegalArgumentException("profile \"" + instance.profile()
                    + "\" must be 1-32 lower-case letters and digits: it becomes part of unit names");
        }
        String base = base(instance);
        if (instance.onDemand().isEmpty()) {
            return new UnitNames(base + ".service", List.of());
        }
        List<ListenAddress> listen = instance.onDemand().get().listen();
        boolean accept = instance.onDemand().get().accept();
        if (accept && listen.size() != 1) {
            throw new IllegalArgumentException(instance.id() + ": accept = true needs exactly one listen address, not "
                    + listen.size());
        }
        List<Socket> sockets = new ArrayList<>();
        List<String> names = instance.onDemand().get().listenerNames(instance.ports());
        for (int i = 0; i < listen.size(); i++) {
            String name = names.get(i);
            String unit = listen.size() == 1 ? base + ".socket" : base + "_" + name + ".socket";
            sockets.add(new Socket(unit, name, listen.get(i)));
        }
        return new UnitNames(accept ? base + "@.service" : base + ".service", List.copyOf(sockets));
    }

    /** What every unit file name of an instance starts with: {@code beckon-PROFILE-SERVICE}. */
    static String base(ServiceInstance instance) {
        return "beckon-" + instance.profile() + "-" + instance.service();
    }

    /** All unit file names, service first. */
    List<String> files() {
        List<String> names = new ArrayList<>();
        names.add(service);
        sockets.forEach(s -> names.add(s.unit()));
        return names;
    }

    /** Whether a unit is a template ({@code ...@.service}), which systemd never loads or runs by itself. */
    static boolean isTemplate(String unit) {
        return unit.endsWith("@.service");
    }
}
