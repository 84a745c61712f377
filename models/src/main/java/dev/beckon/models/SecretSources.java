package dev.beckon.models;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a secret's value on the deploying machine: the bytes of its file, exactly as they are, or what its command prints
 * on standard output, without one final newline (as {@code pass show} prints it). Every failure is one line that starts
 * with where the secret is declared and never holds any part of the value.
 *
 * <p>A file is refused when it is a symbolic link, not a regular file, owned by a user other than this one (or root),
 * or writable by others, and when its directory is writable by others without the sticky bit: any of them lets another
 * user choose the secret.
 */
public final class SecretSources {
    /** systemd's own bound for a credential is 1 MiB; a key or password is far smaller, so a larger value is a mistake. */
    public static final int MAX_BYTES = 64 * 1024;
    /** A password store may wait for its agent's passphrase prompt; longer than that is a command that hangs. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final int STDERR_KEPT = 4096;

    private SecretSources() {}

    /** What is wrong with a secret's source, in one line that starts with its declaration's file:line:col. */
    public static final class SecretException extends Exception {
        SecretException(String message) {
            super(message);
        }
    }

    /**
     * The value of {@code secret} of {@code service}.
     *
     * @throws SecretException when it cannot be read, is empty or larger than {@value #MAX_BYTES} bytes, or its file is one
     *     another user could have written
     */
    public static byte[] read(String service, Secret secret) throws SecretException {
        String what = secret.definedAt() + ": secret " + secret.name() + " of service " + service + ": ";
        byte[] value = secret.file().isPresent() ? readFile(what, secret.file().get()) : run(what, secret);
        if (value.length == 0) {
            throw new SecretException(what + "its " + secret.source() + " gives an empty value; a secret needs one");
        }
        return value;
    }

    private static byte[] readFile(String what, Path file) throws SecretException {
        String shown = Messages.printable(file.toString());
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new SecretException(what + "its file " + shown + " does not exist; create it (mode 0600) or fix the path, which is"
                    + " relative to the model file");
        } catch (IOException e) {
            throw new SecretException(what + "cannot read its file " + shown + ": " + Messages.printable(String.valueOf(e.getMessage())));
        }
        if (attributes.isSymbolicLink()) {
            throw new SecretException(what + "its file " + shown + " is a symbolic link, which beckon does not follow: whoever can"
                    + " change the link chooses the secret; name the file itself");
        }
        if (!attributes.isRegularFile()) {
            throw new SecretException(what + "its file " + shown + " is not a regular file");
        }
        refuseForeign(what, "its file " + shown, file, attributes, false);
        Path directory = file.getParent();
        try {
            refuseForeign(what, "the directory of its file, " + Messages.printable(directory.toString()) + ",", directory,
                    Files.readAttributes(directory, PosixFileAttributes.class), true);
        } catch (IOException e) {
            throw new SecretException(what + "cannot check the directory of its file " + shown + ": "
                    + Messages.printable(String.valueOf(e.getMessage())));
        }
        if (attributes.size() > MAX_BYTES) {
            throw new SecretException(what + "its file " + shown + " holds " + attributes.size() + " bytes, more than the " + MAX_BYTES
                    + " a secret may have; give a file with only the key or password");
        }
        try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer buffer = ByteBuffer.allocate(MAX_BYTES + 1);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // Reads until the end or one byte past the bound.
            }
            if (buffer.position() > MAX_BYTES) {
                throw new SecretException(what + "its file " + shown + " grew past the " + MAX_BYTES + " bytes a secret may have"
                        + " while it was read");
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        } catch (IOException e) {
            throw new SecretException(what + "cannot read its file " + shown + ": " + Messages.printable(String.valueOf(e.getMessage())));
        }
    }

    /** Refuses a file or directory that a user other than this one (or root) owns or may write. */
    private static void refuseForeign(String what, String subject, Path path, PosixFileAttributes attributes, boolean directory)
            throws SecretException {
        int owner;
        int self;
        try {
            owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            // /proc/self belongs to the user this process runs as.
            self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new SecretException(what + "cannot tell who owns " + subject + ": " + Messages.printable(String.valueOf(e.getMessage())));
        }
        if (owner != self && owner != 0) {
            throw new SecretException(what + subject + " belongs to another user (uid " + owner + "), who could change the secret;"
                    + " keep it in a file of your own");
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        boolean othersWrite = permissions.contains(PosixFilePermission.GROUP_WRITE) || permissions.contains(PosixFilePermission.OTHERS_WRITE);
        boolean sticky = false;
        if (directory && othersWrite) {
            try {
                sticky = ((Integer) Files.getAttribute(path, "unix:mode") & 01000) != 0;
            } catch (IOException | UnsupportedOperationException e) {
                sticky = false;
            }
        }
        if (othersWrite && !sticky) {
            throw new SecretException(what + subject + " may be written by other users (" + PosixFilePermissions.toString(permissions)
                    + "), who could change the secret; run chmod go-w on it");
        }
    }

    private static byte[] run(String what, Secret secret) throws SecretException {
        String shown = Messages.printable(String.join(" ", secret.command()));
        Process process;
        try {
            process = new ProcessBuilder(secret.command()).directory(secret.workingDirectory().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new SecretException(what + "cannot run its command " + shown + ": " + Messages.printable(String.valueOf(e.getMessage())));
        }
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readBounded(process.getInputStream(), MAX_BYTES + 1));
        CompletableFuture<byte[]> errors = CompletableFuture.supplyAsync(() -> readBounded(process.getErrorStream(), STDERR_KEPT));
        try {
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new SecretException(what + "its command " + shown + " did not finish within " + Durations.format(COMMAND_TIMEOUT)
                        + "; it was killed");
            }
            byte[] value = output.get();
            if (process.exitValue() != 0) {
                String error = lastLine(new String(errors.get(), StandardCharsets.UTF_8));
                throw new SecretException(what + "its command " + shown + " failed with exit status " + process.exitValue()
                        + (error.isEmpty() ? "" : ": " + Messages.printable(error)));
            }
            if (value.length > MAX_BYTES) {
                throw new SecretException(what + "its command " + shown + " printed more than the " + MAX_BYTES
                        + " bytes a secret may have");
            }
            int length = value.length > 0 && value[value.length - 1] == '\n' ? value.length - 1 : value.length;
            return Arrays.copyOf(value, length);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new SecretException(what + "interrupted while its command " + shown + " ran");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new SecretException(what + "cannot read what its command " + shown + " printed: "
                    + Messages.printable(String.valueOf(e.getCause().getMessage())));
        }
    }

    /** Up to {@code limit} bytes of {@code in}; the rest is read and dropped, so the writer never blocks. */
    private static byte[] readBounded(InputStream in, int limit) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                kept.write(buffer, 0, Math.max(0, Math.min(n, limit - kept.size())));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return kept.toByteArray();
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        return last.length() > 300 ? last.substring(0, 300) + "..." : last;
    }
}
