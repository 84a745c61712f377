package dev.beckon.activation;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An instance's secrets on its target: one file per secret, named after it, mode 0400, in {@code credentials/} of the
 * instance directory (0700), both owned by the user beckon runs as there, who is the user every module runs the service
 * as. systemd units load them from there with {@code LoadCredential=} into their own {@code $CREDENTIALS_DIRECTORY};
 * inetd, xinetd and external modules point {@value #VARIABLE} at the directory itself, so the same program reads
 * {@code $CREDENTIALS_DIRECTORY/NAME} under every module. The instance directory's name holds the instance's hash, which
 * covers its secrets' hashes, so each version of a secret has its own file and a rollback finds its own again.
 */
public final class Credentials {
    /** The variable systemd sets for a service with credentials, and the other modules' launchers set alike. */
    public static final String VARIABLE = "CREDENTIALS_DIRECTORY";
    static final String DIRECTORY_NAME = "credentials";
    /** r--------: only the service's user reads it; nobody writes it in place (it is replaced by a rename). */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("r--------");
    static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    /** The model's names (secret names are checked like service names), so a name is never a path. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private Credentials() {}

    /** Where the instance's secrets are on its target. */
    public static Path directory(ServiceInstance instance) {
        return directory(instance.instanceDirectory());
    }

    /** Where the secrets of the instance with this instance directory are. */
    public static Path directory(Path instanceDirectory) {
        return instanceDirectory.resolve(DIRECTORY_NAME);
    }

    /**
     * Writes each secret's value into its file, atomically and durably, and removes files of secrets the instance no
     * longer has. The instance directory must exist (the store made it).
     *
     * @return the names of the secrets whose file was written or changed
     */
    public static List<String> write(Path instanceDirectory, Map<String, byte[]> values) throws IOException {
        Path directory = directory(instanceDirectory);
        SafeDirectories.verify(instanceDirectory);
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
        }
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(directory + " is not a directory; beckon made it as one, so remove it and deploy again");
        }
        Files.setPosixFilePermissions(directory, DIRECTORY_MODE);
        List<String> written = new ArrayList<>();
        for (Map.Entry<String, byte[]> secret : values.entrySet()) {
            if (!NAME.matcher(secret.getKey()).matches()) {
                throw new IOException("secret name " + dev.beckon.models.Messages.quote(secret.getKey()) + " is not one the model allows");
            }
            if (AtomicFiles.write(directory.resolve(secret.getKey()), secret.getValue(), FILE_MODE)) {
                written.add(secret.getKey());
            }
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!name.startsWith(".") && !values.containsKey(name)) {
                    AtomicFiles.delete(file);
                }
            }
        }
        return written;
    }

    /** The names among {@code names} that have no regular file in the instance's credentials directory. */
    public static List<String> missing(Path instanceDirectory, Collection<String> names) {
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (!Files.isRegularFile(directory(instanceDirectory).resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                missing.add(name);
            }
        }
        return missing;
    }
}
