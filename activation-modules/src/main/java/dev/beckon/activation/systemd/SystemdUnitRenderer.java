package dev.beckon.activation.systemd;

import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import dev.beckon.models.SocketPassing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders an instance's unit files. Pure: the same instance always gives the same bytes, which is
 * what plans, diffs and "nothing changed, do nothing" rely on.
 */
final class SystemdUnitRenderer {
    /** Characters that change how systemd runs a command when they start its first word. */
    private static final String EXEC_PREFIXES = "@-:+!|";
    /** The window of the start and trigger limits; see {@link #burstFor}. */
    private static final Duration LIMIT_WINDOW = Duration.ofSeconds(10);

    private SystemdUnitRenderer() {}

    static Rendering render(ServiceInstance instance) {
        UnitNames names = UnitNames.of(instance);
        String program = instance.exec().get(0);
        if (EXEC_PREFIXES.indexOf(program.charAt(0)) >= 0) {
            throw new IllegalArgumentException(instance.id() + ": the program " + Messages.printable(program) + " starts with '"
                    + program.charAt(0) + "', which systemd reads as an ExecStart= prefix; name it by its path, like ./"
                    + Messages.printable(program));
        }
        List<RenderedFile> files = new ArrayList<>();
        files.add(new RenderedFile(names.service(), serviceUnit(instance, names), false));
        for (UnitNames.Socket socket : names.sockets()) {
            files.add(new RenderedFile(socket.unit(), socketUnit(instance, names, socket), false));
        }
        return new Rendering(files);
    }

    private static String serviceUnit(ServiceInstance instance, UnitNames names) {
        StringBuilder unit = new StringBuilder(header(instance));
        unit.append("[Unit]\n");
        unit.append("Description=").append(description(instance)).append('\n');
        if (instance.isOnDemand()) {
            // An on-demand service that idles out is started again and again; the default limit
            // (5 starts in 10 s) would fail its socket with service-start-limit-hit.
            unit.append("StartLimitIntervalSec=").append(LIMIT_WINDOW.toSeconds()).append("s\n");
            unit.append("StartLimitBurst=").append(burstFor(instance)).append('\n');
        }
        unit.append("\n[Service]\n");
        // exec: the start job fails when the program cannot be executed, so a broken instance is never "activated".
        unit.append("Type=exec\n");
        unit.append("ExecStart=");
        for (int i = 0; i < instance.exec().size(); i++) {
            unit.append(i == 0 ? "" : " ").append(UnitSyntax.execArgument(instance.exec().get(i)));
        }
        unit.append('\n');
        for (Map.Entry<String, String> variable : instance.environment().entrySet()) {
            unit.append("Environment=").append(UnitSyntax.environmentAssignment(variable.getKey(), variable.getValue())).append('\n');
        }
        instance.onDemand().ifPresent(onDemand -> {
            if (!onDemand.idleTimeout().isZero()) {
                unit.append("Environment=").append(UnitSyntax.environmentAssignment("BECKON_IDLE_TIMEOUT",
                        Durations.format(onDemand.idleTimeout()))).append('\n');
            }
            if (onDemand.pass() == SocketPassing.STDIN) {
                if (names.sockets().size() != 1) {
                    throw new IllegalArgumentException(instance.id() + ": pass = \"stdin\" hands over one socket, but it listens on "
                            + names.sockets().size() + " addresses; use pass = \"listen-fds\"");
                }
                // The one listener arrives on standard input, so plain System.inheritedChannel() works on any JVM.
                unit.append("StandardInput=socket\n");
            } else if (names.sockets().size() > 1) {
                // Listeners from fd 3 with LISTEN_FDS (the default for a service's own socket unit, so needed only for several).
                unit.append("Sockets=");
                unit.append(String.join(" ", names.sockets().stream().map(UnitNames.Socket::unit).toList())).append('\n');
            }
        });
        // The JVM exits with 128+15 when stopped with SIGTERM; that is a clean stop, not a failure.
        unit.append("SuccessExitStatus=143\n");
        // With StandardInput=socket, output would go to the client by default.
        unit.append("StandardOutput=journal\n");
        unit.append("StandardError=journal\n");
        if (instance.isOnDemand()) {
            unit.append("Restart=no\n");
        } else {
            unit.append("Restart=on-failure\n");
            unit.append("RestartSec=1s\n");
            unit.append("\n[Install]\n");
            unit.append("WantedBy=").append(bootTarget(instance)).append('\n');
        }
        return unit.toString();
    }

    private static String socketUnit(ServiceInstance instance, UnitNames names, UnitNames.Socket socket) {
        ServiceInstance.Activation onDemand = instance.onDemand().orElseThrow();
        StringBuilder unit = new StringBuilder(header(instance));
        unit.append("[Unit]\n");
        unit.append("Description=").append(description(instance)).append(" (socket ").append(socket.fileDescriptorName())
                .append(")\n");
        unit.append("\n[Socket]\n");
        unit.append("ListenStream=").append(listenStream(socket.address())).append('\n');
        unit.append("FileDescriptorName=").append(socket.fileDescriptorName()).append('\n');
        if (onDemand.accept()) {
            unit.append("Accept=yes\n");
        } else if (names.sockets().size() > 1) {
            unit.append("Service=").append(names.service()).append('\n');
        }
        unit.append("TriggerLimitIntervalSec=").append(LIMIT_WINDOW.toSeconds()).append("s\n");
        unit.append("TriggerLimitBurst=").append(burstFor(instance)).append('\n');
        unit.append("\n[Install]\n");
        unit.append("WantedBy=sockets.target\n");
        return unit.toString();
    }

    /**
     * Starts in {@link #LIMIT_WINDOW} that a healthy instance may need: it lives at least its idle
     * timeout, so it cannot start more often than once per timeout; twice that plus some room. A
     * service that fails at once still hits the limit, so its socket fails instead of spinning.
     */
    static int burstFor(ServiceInstance instance) {
        Duration idle = instance.onDemand().map(ServiceInstance.Activation::idleTimeout).orElse(Duration.ZERO);
        long lifetimeMillis = Math.max(idle.isZero() ? 1_000 : idle.toMillis(), 50);
        long starts = LIMIT_WINDOW.toMillis() / lifetimeMillis;
        return (int) Math.min(1_000, 2 * starts + 20);
    }

    private static String listenStream(ListenAddress address) {
        if (address instanceof ListenAddress.Inet inet) {
            return inet.host().map(h -> (h.contains(":") ? "[" + h + "]" : h) + ":" + inet.port()).orElse(String.valueOf(inet.port()));
        }
        return ((ListenAddress.Unix) address).path();
    }

    private static String description(ServiceInstance instance) {
        String text = instance.description().isBlank() ? instance.service() : instance.description();
        return UnitSyntax.text(text) + " (beckon " + instance.id() + ")";
    }

    private static String bootTarget(ServiceInstance instance) {
        return instance.container().getOrDefault("scope", "user").equals("system") ? "multi-user.target" : "default.target";
    }

    private static String header(ServiceInstance instance) {
        return "# Written by beckon for " + instance.id() + " (profile " + instance.profile()
                + "). beckon deploy rewrites it: change the model instead.\n";
    }
}
