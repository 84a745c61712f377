package dev.beckon.planner.manifest;

import dev.beckon.activation.SafeDirectories;
import dev.beckon.planner.plan.PlanningException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What manifests record of a secret's value: an HMAC-SHA256 under a key kept on the deploying machine beside the
 * profiles ({@value #KEY_FILE}, 0600), never in a profile's repository. A changed value changes the hash, so the plan
 * sees it; the hash alone, as the repository holds it, gives nobody a way to try guesses at a short password, since
 * that needs the key too. A lost key changes every hash once: each service with secrets is re-activated, nothing worse.
 */
public final class SecretHashes {
    /** The key's file name in beckon's home. */
    public static final String KEY_FILE = "secret-hash.key";
    private static final String PREFIX = "hmac-sha256:";
    private static final int KEY_BYTES = 32;

    /** Where the key is read from when first needed; empty for a key of this process. */
    private final java.util.Optional<Path> home;
    private byte[] key;

    private SecretHashes(java.util.Optional<Path> home, byte[] key) {
        this.home = home;
        this.key = key;
    }

    /** Hashes under a key of this process only: for resolvers whose manifests are never recorded (benchmarks, tests). */
    public static SecretHashes ephemeral() {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return new SecretHashes(java.util.Optional.empty(), key);
    }

    /** Hashes under the key in {@code home}, read (or made) when the first secret is hashed: a model without secrets needs none. */
    public static SecretHashes withKeyIn(Path home) {
        return new SecretHashes(java.util.Optional.of(home), null);
    }

    /**
     * The key in {@code home}, made there when it is not yet.
     *
     * @throws PlanningException when the key cannot be read or made, or is not a private file of this user
     */
    private static byte[] readKey(Path home) throws PlanningException {
        Path file = home.resolve(KEY_FILE);
        try {
            SafeDirectories.ensure(home);
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                create(file);
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS) != SafeDirectories.ownUid()
                    || !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(PosixFilePermissions.fromString("rw-------"))) {
                throw new PlanningException("the key beckon hashes secrets with, " + file + ", must be a regular file of yours with"
                        + " mode 0600; remove it (every service with secrets is then re-activated once) and plan again");
            }
            byte[] key;
            try (FileChannel channel = SafeDirectories.openNoFollow(file, StandardOpenOption.READ)) {
                ByteBuffer buffer = ByteBuffer.allocate(KEY_BYTES + 1);
                while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                    // Reads the whole key, and notices one too long.
                }
                key = java.util.Arrays.copyOf(buffer.array(), buffer.position());
            }
            if (key.length != KEY_BYTES) {
                throw new PlanningException("the key beckon hashes secrets with, " + file + ", is not " + KEY_BYTES
                        + " bytes long; remove it (every service with secrets is then re-activated once) and plan again");
            }
            return key;
        } catch (IOException e) {
            throw new PlanningException("cannot use the key beckon hashes secrets with, " + file + ": " + e.getMessage(), e);
        }
    }

    /** Makes the key in a temporary file and links it into place, so two beckons starting at once end with one key. */
    private static void create(Path file) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        Path temporary = Files.createTempFile(file.getParent(), "." + KEY_FILE + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(key));
                channel.force(true);
            }
            try {
                Files.createLink(file, temporary);
            } catch (FileAlreadyExistsException raced) {
                // Another beckon made it first; its key is the one.
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * The hash manifests record for the value of secret {@code name} of {@code service}.
     *
     * @throws PlanningException when the key cannot be read or made
     */
    public synchronized String of(String service, String name, byte[] value) throws PlanningException {
        if (key == null) {
            key = readKey(home.orElseThrow());
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            // The service and name are part of what is hashed, so equal values of two secrets do not show as equal hashes.
            mac.update((service + "\0" + name + "\0").getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(mac.doFinal(value));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "SecretHashes[key not shown]";
    }
}
