package dev.beckon.activation.inetd;

import dev.beckon.activation.Launcher;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An instance's file in xinetd's include directory, named {@code beckon-PROFILE-SERVICE}: xinetd
 * skips names with a dot or ending in {@code ~}, and this name has neither. Pure.
 */
final class XinetdFile {
    /** The first words of every file beckon writes; a file without them is not beckon's to replace. */
    static final String HEADER = "# Written by beckon for ";
    private static final Pattern SERVER = Pattern.compile("^[ \t]*server[ \t]*=[ \t]*(\\S+)[ \t]*$", Pattern.MULTILINE);

    private XinetdFile() {}

    /**
     * The instance's service file and launcher.
     *
     * @throws IllegalArgumentException when xinetd cannot run it (not on demand, not one TCP listener) or a
     *     value cannot be one word of an xinetd attribute
     */
    static Rendering render(ServiceInstance instance) {
        String name = SuperServerInstances.name(instance);
        ListenAddress.Inet listener = SuperServerInstances.listener(instance, "xinetd");
        RenderedFile launcher = SuperServerInstances.launcher(instance, "xinetd");
        StringBuilder file = new StringBuilder(HEADER).append(instance.id()).append(" (profile ").append(instance.profile())
                .append("). beckon deploy rewrites it: change the model instead.\n");
        file.append("service ").append(name).append("\n{\n");
        attribute(file, "type", "UNLISTED");
        attribute(file, "port", String.valueOf(listener.port()));
        if (listener.host().isEmpty()) {
            // An IPv6 socket bound to no address takes IPv4 clients too: one socket, as systemd's ListenStream=PORT.
            attribute(file, "flags", "IPv6");
        } else {
            attribute(file, "bind", listener.host().get());
            if (listener.host().get().contains(":")) {
                attribute(file, "flags", "IPv6");
            }
        }
        attribute(file, "socket_type", "stream");
        attribute(file, "protocol", "tcp");
        attribute(file, "wait", instance.onDemand().orElseThrow().accept() ? "no" : "yes");
        attribute(file, "user", SuperServerInstances.user(instance));
        attribute(file, "server", Launcher.path(instance).toString());
        SuperServerLimits.xinetdAttributes(instance).forEach((key, value) -> attribute(file, key, value));
        file.append("}\n");
        return new Rendering(List.of(new RenderedFile(name, file.toString(), false), launcher));
    }

    private static void attribute(StringBuilder file, String name, String value) {
        file.append("    ").append(String.format("%-11s", name)).append(" = ").append(value).append('\n');
    }

    /** The server program a service file names. */
    static Optional<String> server(String content) {
        Matcher server = SERVER.matcher(content);
        return server.find() ? Optional.of(server.group(1)) : Optional.empty();
    }
}
