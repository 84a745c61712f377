package dev.beckon.activation.external;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
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
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Consumer;

/** An external module's work on one target: each operation is one call of the module's program. */
final class ExternalSession implements ModuleSession {
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

    @Override
    public void lock(ServiceInstance instance) throws ActivationException {
        ModuleCall.Result result = call(instance, ExternalModule.LOCK, false);
        if (result.exitCode() != 0) {
            throw new ActivationException(instance.id(), module.type() + " refused to let it change now (lock exited with "
                    + result.exitCode() + ")" + lastLine(result), result.tail(), null);
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

    private ModuleCall.Result call(ServiceInstance instance, String operation, boolean wantsAnswer) throws ActivationException {
        SortedMap<String, String> variables;
        try {
            variables = ModuleEnvironment.of(instance, container.settings());
        } catch (IllegalArgumentException e) {
            throw new ActivationException(instance.id(), e.getMessage());
        }
        String prefix = module.type() + " " + operation + " " + instance.id() + ": ";
        return ModuleCall.run(instance.id(), module.executable(), operation, instance.instanceDirectory(), variables, wantsAnswer,
                line -> output.accept(prefix + line), timeout);
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
