package dev.beckon.activation.systemd;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Messages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Whether an instance's program is there to run, before anything of it is started. */
final class ProgramCheck {
    private ProgramCheck() {}

    /**
     * An on-demand service runs only at the first connection; a program that is not there must fail
     * the activation, not that connection.
     */
    static void require(ServiceInstance instance) throws ActivationException {
        if (!exists(instance)) {
            String program = instance.exec().get(0);
            throw new ActivationException(instance.id(), "its program " + Messages.printable(program) + " is not an executable file"
                    + (program.contains("/") ? "" : " on the PATH") + "; the service could never start");
        }
    }

    /** Whether the instance's program is an executable file: named by its path, or found on the PATH. */
    static boolean exists(ServiceInstance instance) {
        String program = instance.exec().get(0);
        List<Path> candidates = new ArrayList<>();
        if (program.contains("/")) {
            candidates.add(Path.of(program));
        } else {
            String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            for (String directory : path.split(":")) {
                if (!directory.isEmpty()) {
                    candidates.add(Path.of(directory, program));
                }
            }
        }
        return candidates.stream().anyMatch(p -> Files.isRegularFile(p) && Files.isExecutable(p));
    }
}
