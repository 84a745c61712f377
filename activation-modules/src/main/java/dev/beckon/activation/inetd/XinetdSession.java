package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** The xinetd module's work on one xinetd: a file per instance in its include directory. */
final class XinetdSession extends SuperServerSession {
    private final Path directory;

    XinetdSession(String target, Path directory, Path pidFile) {
        super(target, "xinetd", pidFile);
        this.directory = directory;
    }

    @Override
    Rendering render(ServiceInstance instance) {
        return XinetdFile.render(instance);
    }

    @Override
    String entryName(ServiceInstance instance) {
        return SuperServerInstances.name(instance);
    }

    @Override
    String describeEntry(ServiceInstance instance) {
        return "its file " + file(instance);
    }

    @Override
    Optional<String> readEntry(ServiceInstance instance) throws IOException {
        return AtomicFiles.read(file(instance));
    }

    @Override
    boolean writeEntry(ServiceInstance instance, String content) throws IOException, ActivationException {
        requireOurs(instance);
        return AtomicFiles.write(file(instance), content, AtomicFiles.READABLE);
    }

    @Override
    boolean removeEntry(ServiceInstance instance) throws IOException, ActivationException {
        requireOurs(instance);
        return AtomicFiles.delete(file(instance));
    }

    @Override
    Optional<String> serverOf(String entry) {
        return XinetdFile.server(entry);
    }

    private void requireOurs(ServiceInstance instance) throws IOException, ActivationException {
        Optional<String> existing = AtomicFiles.read(file(instance));
        if (existing.isPresent() && !existing.get().startsWith(XinetdFile.HEADER)) {
            throw new ActivationException(instance.id(), file(instance) + " exists and beckon did not write it (it does not start with \""
                    + XinetdFile.HEADER.strip() + "\"); beckon will not replace or remove it: move it away");
        }
    }

    private Path file(ServiceInstance instance) {
        return directory.resolve(SuperServerInstances.name(instance));
    }
}
