package dev.beckon.planner.target;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.models.ProfileNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a target records that it runs for a profile, so that a lost profile can be rebuilt from its targets
 * ({@code beckon reconstruct}, as Disnix's disnix-reconstruct): {@code STATE_DIR/deployed/PROFILE} holds the line
 * {@code beckon-deployed 1 generation=N} and then the generation's manifest byte for byte, the whole manifest, so
 * that any one target gives it back with the same hash. Written after the generation is recorded, atomically and
 * private to the target's user (a manifest may carry settings not meant for everyone).
 *
 * @param generation the number the deploying profile gave it
 * @param manifest   the manifest as that profile recorded it
 */
public record DeployedRecord(int generation, byte[] manifest) {
    private static final String DIRECTORY = "deployed";
    private static final Pattern HEADER = Pattern.compile("beckon-deployed 1 generation=([1-9][0-9]{0,8})\n");
    /** Far above any manifest beckon writes; a larger file is not one it wrote. */
    private static final long MAX_BYTES = 64L << 20;

    public DeployedRecord {
        manifest = manifest.clone();
    }

    @Override
    public byte[] manifest() {
        return manifest.clone();
    }

    /** Records, on this machine, that {@code stateDirectory} runs this for {@code profile}. */
    public void write(Path stateDirectory, String profile) throws IOException {
        Path file = file(stateDirectory, profile);
        SafeDirectories.ensure(file.getParent());
        byte[] header = ("beckon-deployed 1 generation=" + generation + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] content = Arrays.copyOf(header, header.length + manifest.length);
        System.arraycopy(manifest, 0, content, header.length, manifest.length);
        AtomicFiles.write(file, content, PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * What {@code stateDirectory} records for {@code profile}; empty when nothing.
     *
     * @throws IOException when the file is there but unreadable or not one beckon wrote
     */
    public static Optional<DeployedRecord> read(Path stateDirectory, String profile) throws IOException {
        Path file = file(stateDirectory, profile);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_BYTES) {
            throw new IOException(file + " is not a record beckon wrote (not a plain file, or too large)");
        }
        byte[] content = Files.readAllBytes(file);
        int newline = 0;
        while (newline < content.length && content[newline] != '\n' && newline < 64) {
            newline++;
        }
        Matcher header = HEADER.matcher(new String(content, 0, Math.min(content.length, newline + 1), StandardCharsets.US_ASCII));
        if (!header.matches()) {
            throw new IOException(file + " does not start with the line beckon writes (beckon-deployed 1 generation=N)");
        }
        return Optional.of(new DeployedRecord(Integer.parseInt(header.group(1)), Arrays.copyOfRange(content, newline + 1, content.length)));
    }

    private static Path file(Path stateDirectory, String profile) {
        if (!ProfileNames.PATTERN.matcher(profile).matches()) {
            throw new IllegalArgumentException("not a profile name: " + profile);
        }
        return stateDirectory.resolve(DIRECTORY).resolve(profile);
    }
}
