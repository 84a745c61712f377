package dev.beckon.activation.systemd;

import dev.beckon.activation.Credentials;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Messages;

/**
 * How a systemd unit gets its instance's secrets, which beckon wrote into the instance directory ({@link Credentials}); the
 * unit names only files, never a value ({@code SetCredential=} would write the value into the unit).
 *
 * <p>System scope: {@code LoadCredential=NAME:PATH}, so systemd copies each file into the service's own
 * {@code $CREDENTIALS_DIRECTORY} when it starts it, readable by the service whatever user it runs as. User scope:
 * {@code Environment=CREDENTIALS_DIRECTORY=} naming the instance's own credentials directory, since the service runs as
 * the user who owns those 0400 files. A user manager of systemd 252 does not fill in the directory: in the sandbox's
 * manager a unit with {@code LoadCredential=} (or even {@code SetCredential=}) starts with an empty, read-only
 * {@code $CREDENTIALS_DIRECTORY}; and {@code ImportCredential=} comes only with systemd 254. Either way the service reads
 * {@code $CREDENTIALS_DIRECTORY/NAME}, as under every other module.
 */
final class CredentialDirectives {
    private CredentialDirectives() {}

    /** The {@code [Service]} lines for the instance's secrets, in name order; names were validated by the model. */
    static String service(ServiceInstance instance) {
        if (instance.secrets().isEmpty()) {
            return "";
        }
        StringBuilder lines = new StringBuilder();
        if (!instance.container().getOrDefault("scope", "user").equals("system")) {
            return "Environment=" + UnitSyntax.environmentAssignment(Credentials.VARIABLE, Credentials.directory(instance).toString())
                    + "\n";
        }
        for (String name : instance.secrets()) {
            String path = Credentials.directory(instance).resolve(name).toString();
            // systemd takes the rest of the line as the path after expanding specifiers: only % needs escaping, and no
            // control character may end the line early.
            if (path.codePoints().anyMatch(Messages::isControl)) {
                throw new IllegalArgumentException(instance.id() + ": the path of its secret " + name + ", "
                        + Messages.printable(path) + ", holds a control character, which no unit file line can carry");
            }
            lines.append("LoadCredential=").append(name).append(':').append(path.replace("%", "%%")).append('\n');
        }
        return lines.toString();
    }
}
