package dev.beckon.activation.systemd;

import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceConnectionBound;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import dev.beckon.models.SocketPassing;
import dev.beckon.models.StartLimit;
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
    /**
     * Failed runs in a row after which an on-demand service's sockets are stopped. The start limit
     * cannot stop a service that fails at once: a server that exits after every connection is started
     * as often, so a limit low enough for the one would fail the other (see {@link StartLimit}).
     */
    static final int FAILURES_BEFORE_STOP = 5;

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
            // An on-demand service that idles out, or exits after every connection, is started again and
            // again; the default limit (5 starts in 10 s) would fail its socket with service-start-limit-hit.
            StartLimit limit = instance.onDemand().get().startLimit();
            unit.append("StartLimitIntervalSec=").append(limit.interval().toSeconds()).append("s\n");
            unit.append("StartLimitBurst=").append(limit.burst()).append('\n');
        }
        if (instance.holdsSockets() && !instance.isOnDemand()) {
            // Always on with manager-held sockets: starting the service by hand starts its sockets too, listening first.
            String sockets = String.join(" ", names.sockets().stream().map(UnitNames.Socket::unit).toList());
            unit.append("Wants=").append(sockets).append('\n');
            unit.append("After=").append(sockets).append('\n');
        }
        unit.append("\n[Service]\n");
        // exec: the start job fails when the program cannot be executed, so a broken instance is never "activated".
        unit.append(ReadinessDirectives.serviceType(instance));
        unit.append("ExecStart=");
        for (int i = 0; i < instance.exec().size(); i++) {
            unit.append(i == 0 ? "" : " ").append(UnitSyntax.execArgument(instance.exec().get(i)));
        }
        unit.append('\n');
        for (Map.Entry<String, String> variable : instance.environment().entrySet()) {
            unit.append("Environment=").append(UnitSyntax.environmentAssignment(variable.getKey(), variable.getValue())).append('\n');
        }
        ServiceConnectionBound.value(instance).ifPresent(bound -> unit.append("Environment=")
                .append(UnitSyntax.environmentAssignment(ServiceConnectionBound.VARIABLE, bound)).append('\n'));
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
        unit.append(LimitDirectives.service(instance));
        unit.append(HardeningDirectives.service(instance));
        unit.append(CredentialDirectives.service(instance));
        // The JVM exits with 128+15 when stopped with SIGTERM; that is a clean stop, not a failure.
        unit.append("SuccessExitStatus=143\n");
        unit.append(StopDirectives.render(instance));
        instance.onDemand().filter(onDemand -> !onDemand.accept() && !onDemand.startsAtOnce()).ifPresent(onDemand -> unit.append(failureGuard(instance, names)));
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
            unit.append(LimitDirectives.socket(instance));
        } else if (names.sockets().size() > 1) {
            unit.append("Service=").append(names.service()).append('\n');
        }
        unit.append("TriggerLimitIntervalSec=").append(onDemand.startLimit().interval().toSeconds()).append("s\n");
        unit.append("TriggerLimitBurst=").append(onDemand.startLimit().burst()).append('\n');
        unit.append("\n[Install]\n");
        unit.append("WantedBy=sockets.target\n");
        return unit.toString();
    }

    /**
     * Stops the sockets once the service has failed {@value #FAILURES_BEFORE_STOP} runs in a row, so
     * that a service that fails at once is not started for ever by the connection waiting in its
     * backlog; it stays failed, with its result, for status and plan. A clean exit clears the count.
     * The count lives in the manager's runtime directory ({@code %t}), which a reboot empties.
     */
    private static String failureGuard(ServiceInstance instance, UnitNames names) {
        String scope = instance.container().getOrDefault("scope", "user").equals("system") ? "" : " --user";
        String script = "f=\"$$1\"; shift; if [ \"$$SERVICE_RESULT\" = success ]; then rm -f \"$$f\"; exit 0; fi; "
                + "echo \"$$SERVICE_RESULT\" >> \"$$f\"; "
                + "if [ \"$$(wc -l < \"$$f\")\" -ge " + FAILURES_BEFORE_STOP + " ]; then rm -f \"$$f\"; "
                + "exec systemctl" + scope + " --no-block stop \"$$@\"; fi";
        StringBuilder line = new StringBuilder("# After " + FAILURES_BEFORE_STOP
                + " failed runs in a row, stop the sockets: a service that fails at once must not be started for ever.\n");
        line.append("ExecStopPost=").append(HardeningDirectives.ownCommandPrefix(instance)).append("/bin/sh -c '").append(script)
                .append("' beckon-failure-guard %t/").append(names.service()).append(".failures");
        for (UnitNames.Socket socket : names.sockets()) {
            line.append(' ').append(socket.unit());
        }
        return line.append('\n').toString();
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
