package dev.beckon.activation.systemd;

import dev.beckon.activation.Credentials;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Messages;

/**
 * The {@code LoadCredential=} lines of an instance's secrets: systemd copies each file beckon wrote into the instance
 * directory ({@link Credentials}) into the service's own {@code $CREDENTIALS_DIRECTORY} when it starts it, and the unit
 * names only the file, never the value ({@code SetCredential=} would write the value into the unit). systemd 252 has no
 * {@code ImportCredential=} (254), and a user manager keeps the copies in a directory of its runtime directory instead of
 * a ramfs it may not mount.
 */
final class CredentialDirectives {
    private CredentialDirectives() {}

    /** {@code LoadCredential=NAME:PATH} for each secret, in name order; names were validated by the model. */
    static String service(ServiceInstance instance) {
        StringBuilder lines = new StringBuilder();
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
