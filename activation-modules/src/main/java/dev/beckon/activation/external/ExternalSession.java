package dev.beckon.activation.external;

import dev.beckon.activation.ActivationException;
import dev.beckon.models.Durations;
import dev.beckon.models.ContainerDuration;
import dev.beckon.models.Messages;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ReadinessWait;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Consumer;

/** An external module's work on one target: each operation is one call of the module's program. */
final class ExternalSession implements ModuleSession {
    /** A lock's "not now, ask me again" (EX_TEMPFAIL of sysexits.h). */
    static final int NOT_NOW = 75;
    private static final Duration ASK_AGAIN = Duration.ofMillis(250);
    private static final Duration MOMENT = Duration.ofSeconds(1);
    private final ExternalModule module;
    private final TargetContainer container;
    private final Consumer<String> output;
    private final Duration timeout;

    ExternalSession(ExternalModule module, TargetContainer container, Consumer<String> output, Duration timeout) {
        this.module = module;
        this.container = container;
        this.output = output;
        this.timeout = timeout;
    }

    /**
     * Dysnomia's lock, with waiting: the module may take up to the container's {@code lock-timeout} to answer, or
     * answer "not now" ({@value #NOT_NOW}, EX_TEMPFAIL) and be asked again until then. Any other refusal is final.
     */
    @Override
    public void lock(ServiceInstance instance) throws ActivationException {
        Duration within = ContainerDuration.LOCK_TIMEOUT.of(container.settings());
        long deadline = System.nanoTime() + within.toNanos();
        for (int asked = 1; ; asked++) {
            // A lock gets what is left of the wait, and at least a moment to answer even when nothing is left.
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), MOMENT.toNanos()));
            ModuleCall.Result result = call(instance, ExternalModule.LOCK, false, Map.of(), left.compareTo(timeout) < 0 ? left : timeout);
            if (result.exitCode() == 0) {
                return;
            }
            if (result.exitCode() != NOT_NOW) {
                throw new ActivationException(instance.id(), module.type() + " refused to let it change now (lock exited with "
                        + result.exitCode() + ")" + lastLine(result), result.tail(), null);
            }
            if (System.nanoTime() + ASK_AGAIN.toNanos() > deadline) {
                throw new ActivationException(instance.id(), module.type() + " did not let it change within its " + ContainerDuration.LOCK_TIMEOUT.key()
                        + " of " + Durations.format(within) + " (lock answered not now, exit " + NOT_NOW + ", " + asked
                        + (asked == 1 ? " time" : " times") + ")" + lastLine(result), result.tail(), null);
            }
            try {
                Thread.sleep(ASK_AGAIN.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ActivationException(instance.id(), "interrupted while waiting for its lock", e);
            }
        }
    }

    @Override
    public void unlock(ServiceInstance instance) throws ActivationException {
        expectSuccess(instance, ExternalModule.UNLOCK, call(instance, ExternalModule.UNLOCK, false));
    }

    @Override
    public void activate(ServiceInstance instance) throws ActivationException {
        Rendering rendering = rendering(instance);
        try {
            for (RenderedFile file : rendering.files()) {
                AtomicFiles.write(instance.instanceDirectory().resolve(file.name()), file.content(), permissions(file));
            }
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot write its files into " + instance.instanceDirectory() + ": "
                    + SafeDirectories.describe(e), e);
        }
        expectSuccess(instance, ExternalModule.ACTIVATE, call(instance, ExternalModule.ACTIVATE, false));
        ExternalReadiness.awaitReady(instance, module.type(), operation -> call(instance, operation, true));
        // Activated means verified: a module that can tell says so in its answer to query.
        InstanceStatus status = moduleStatus(instance);
        if (stopped(status).isPresent()) {
            throw new ActivationException(instance.id(), module.type() + " activate succeeded, but its query says the instance is "
                    + stopped(status).get());
        }
        ReadinessWait.awaitHealthy(instance, () -> stopped(moduleStatus(instance)));
    }

    private static Optional<String> stopped(InstanceStatus status) {
        if (status.activity() == InstanceStatus.Activity.FAILED || status.activity() == InstanceStatus.Activity.INACTIVE) {
            return Optional.of(status.activity().name().toLowerCase(Locale.ROOT) + (status.detail().isEmpty() ? "" : ": " + status.detail()));
        }
        return Optional.empty();
    }

    @Override
    public void deactivate(ServiceInstance instance) throws ActivationException {
        expectSuccess(instance, ExternalModule.DEACTIVATE, call(instance, ExternalModule.DEACTIVATE, false));
        try {
            for (String file : ExternalModule.FILES) {
                AtomicFiles.delete(instance.instanceDirectory().resolve(file));
            }
            Files.deleteIfExists(instance.instanceDirectory());
        } catch (DirectoryNotEmptyException moduleFilesLeft) {
            // What the module keeps there is the module's.
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot remove its files from " + instance.instanceDirectory() + ": " + e, e);
        }
    }

    @Override
    public InstanceStatus query(ServiceInstance instance) throws ActivationException {
        InstanceStatus status = moduleStatus(instance);
        if (status.activity() == InstanceStatus.Activity.RUNNING) {
            status = ExternalReadiness.withHealthVerb(status, operation -> call(instance, operation, true));
        }
        return ReadinessWait.withHealth(instance, status);
    }

    /** What beckon's files and the module's {@code query} say, before any health check. */
    private InstanceStatus moduleStatus(ServiceInstance instance) throws ActivationException {
        Rendering rendering = rendering(instance);
        List<String> drift = new ArrayList<>();
        int present = 0;
        try {
            for (RenderedFile file : rendering.files()) {
                Path path = instance.instanceDirectory().resolve(file.name());
                Optional<String> onDisk = AtomicFiles.read(path);
                if (onDisk.isEmpty()) {
                    drift.add(path + " is missing");
                } else {
                    present++;
                    if (!onDisk.get().equals(file.content())) {
                        drift.add(path + " differs from what beckon wrote");
                    }
                }
            }
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read its files in " + instance.instanceDirectory() + ": " + e, e);
        }
        InstanceStatus.Presence files = present == rendering.files().size() ? InstanceStatus.Presence.INSTALLED
                : present == 0 ? InstanceStatus.Presence.MISSING : InstanceStatus.Presence.PARTIAL;
        ModuleCall.Result result = call(instance, ExternalModule.QUERY, true);
        if (result.exitCode() != 0) {
            throw new ActivationException(instance.id(), module.type() + " query failed with exit code " + result.exitCode() + lastLine(result),
                    result.tail(), null);
        }
        try {
            return QueryAnswer.parse(result.answer(), instance, files, drift, module.type());
        } catch (IllegalArgumentException e) {
            throw new ActivationException(instance.id(), module.type() + " query answered what beckon cannot read: " + e.getMessage(),
                    result.tail(), null);
        }
    }

    /**
     * The module's {@code logs} verb: the last lines it prints on standard output. A module that does not know
     * the verb exits 0 and prints nothing, which the note says. There is no position in what a module prints:
     * after an earlier read, the lines that follow the last line that read returned.
     */
    @Override
    public InstanceLog log(ServiceInstance instance, int lines, Optional<String> after) throws ActivationException {
        ModuleCall.Result result = call(instance, ExternalModule.LOGS, true, Map.of("BECKON_LOG_LINES", String.valueOf(lines)));
        if (result.exitCode() != 0) {
            throw new ActivationException(instance.id(), module.type() + " logs failed with exit code " + result.exitCode()
                    + lastLine(result), result.tail(), null);
        }
        List<String> printed = result.answer().lines().map(Messages::printable).toList();
        if (printed.isEmpty()) {
            return new InstanceLog(List.of(), after.orElse(""), after.isPresent() ? ""
                    : "its module " + module.type() + " printed no log lines: a module shows its service's log by answering the"
                    + " logs verb (activation-modules/README.md)");
        }
        List<String> fresh = printed;
        if (after.filter(last -> !last.isEmpty()).isPresent()) {
            int seen = printed.lastIndexOf(after.get());
            fresh = seen < 0 ? printed : printed.subList(seen + 1, printed.size());
        }
        return new InstanceLog(fresh.subList(Math.max(0, fresh.size() - lines), fresh.size()), printed.get(printed.size() - 1), "");
    }

    private ModuleCall.Result call(ServiceInstance instance, String operation, boolean wantsAnswer) throws ActivationException {
        return call(instance, operation, wantsAnswer, Map.of());
    }

    private ModuleCall.Result call(ServiceInstance instance, String operation, boolean wantsAnswer, Map<String, String> extra)
            throws ActivationException {
        return call(instance, operation, wantsAnswer, extra, timeout);
    }

    private ModuleCall.Result call(ServiceInstance instance, String operation, boolean wantsAnswer, Map<String, String> extra,
            Duration limit) throws ActivationException {
        SortedMap<String, String> variables;
        try {
            variables = new java.util.TreeMap<>(ModuleEnvironment.of(instance, container.settings()));
        } catch (IllegalArgumentException e) {
            throw new ActivationException(instance.id(), e.getMessage());
        }
        variables.putAll(extra);
        String prefix = module.type() + " " + operation + " " + instance.id() + ": ";
        return ModuleCall.run(instance.id(), module.executable(), operation, instance.instanceDirectory(), variables, wantsAnswer,
                line -> output.accept(prefix + line), limit);
    }

    private void expectSuccess(ServiceInstance instance, String operation, ModuleCall.Result result) throws ActivationException {
        if (result.exitCode() != 0) {
            throw new ActivationException(instance.id(), module.type() + " " + operation + " failed with exit code " + result.exitCode()
                    + lastLine(result), result.tail(), null);
        }
    }

    private Rendering rendering(ServiceInstance instance) throws ActivationException {
        try {
            return module.render(instance);
        } catch (IllegalArgumentException e) {
            String prefix = instance.id() + ": ";
            throw new ActivationException(instance.id(), e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length())
                    : e.getMessage());
        }
    }

    private static Set<PosixFilePermission> permissions(RenderedFile file) {
        // The files hold the service's environment, which may hold secrets.
        return file.executable() ? Launcher.PERMISSIONS : ExternalModule.PRIVATE;
    }

    private static String lastLine(ModuleCall.Result result) {
        return result.tail().isEmpty() ? "" : ": " + result.tail().get(result.tail().size() - 1);
    }
}
