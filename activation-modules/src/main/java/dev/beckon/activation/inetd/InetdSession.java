package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The inetd module's work on one openbsd-inetd: lines of beckon's block in its configuration file. */
final class InetdSession extends SuperServerSession {
    private final Path config;

    InetdSession(String target, Path config, Path pidFile) {
        super(target, "inetd", pidFile);
        this.config = config;
    }

    @Override
    Rendering render(ServiceInstance instance) {
        return InetdConf.render(instance);
    }

    @Override
    String entryName(ServiceInstance instance) {
        return InetdConf.ENTRY_NAME;
    }

    @Override
    String describeEntry(ServiceInstance instance) {
        return "its line " + SuperServerInstances.name(instance) + " in " + config;
    }

    @Override
    Optional<String> readEntry(ServiceInstance instance) throws IOException, ActivationException {
        List<String> lines = InetdConf.entries(read(instance), SuperServerInstances.name(instance));
        return lines.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", lines) + "\n");
    }

    @Override
    boolean writeEntry(ServiceInstance instance, String content) throws IOException, ActivationException {
        String line = content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        String before = read(instance);
        return replace(instance, before, InetdConf.withEntry(before, SuperServerInstances.name(instance), line));
    }

    @Override
    boolean removeEntry(ServiceInstance instance) throws IOException, ActivationException {
        String before = read(instance);
        return replace(instance, before, InetdConf.withoutEntry(before, SuperServerInstances.name(instance)));
    }

    @Override
    Optional<String> serverOf(String entry) {
        return InetdConf.server(entry.lines().findFirst().orElse(""));
    }

    private String read(ServiceInstance instance) throws IOException, ActivationException {
        String content = AtomicFiles.read(config).orElse("");
        try {
            InetdConf.entries(content, SuperServerInstances.name(instance));
        } catch (IllegalStateException broken) {
            throw new ActivationException(instance.id(), config + ": " + broken.getMessage());
        }
        return content;
    }

    private boolean replace(ServiceInstance instance, String before, String after) throws IOException {
        if (after.equals(before)) {
            return false;
        }
        // The file is the administrator's: it keeps its mode (an inetd.conf may well be rw-------).
        Set<PosixFilePermission> mode = Files.exists(config) ? Files.getPosixFilePermissions(config) : AtomicFiles.READABLE;
        return AtomicFiles.write(config, after, mode);
    }
}
