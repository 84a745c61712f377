package dev.beckon.planner.manifest;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.models.ModelFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a manifest was resolved from, recognised again without loading and resolving the model: the model's three
 * files byte for byte, each package's files by what their inodes say ({@link InodeStamp}),
 * the environment, the working directory and the beckon build doing the resolving. A deployment records them in the
 * profile once its manifest is the current generation's; a later command whose inputs are the same, while that
 * generation is still the current one, can take the generation's manifest as what the model resolves to.
 *
 * <p>Only a manifest that depends on nothing else is recorded ({@link ManifestResolver#dependsOnlyOnFiles}): no
 * secret read (from a file, a command or a prompt), no external module rendering, no target asked. The model's files
 * count by their bytes, read before loading and again when recording: a change in between is no match. A package
 * counts by its files' times, which a change made within the same tick of the file system's clock as the one before
 * would keep: so none is recorded whose files changed since {@value InodeStamp#RACY_MILLIS} ms before the command began.
 */
public final class ResolvedInputs {
    /** The record's name, in the profile's directory beside its generations. */
    public static final String FILE_NAME = "resolved-inputs";
    private static final String HEADER = "beckon resolved inputs 1";
    /**
     * Variables left out: those a shell changes on its own from one command to the next, and those only the
     * launcher reads (how it starts the JVM); no resolving reads any of them. Every other variable counts.
     */
    private static final Set<String> NOT_READ_BY_RESOLVING = Set.of("_", "OLDPWD", "SHLVL", "BECKON_JAVA_OPTS", "BECKON_START_ARCHIVE");

    /** {@link #runningBuild}, worked out once per process: the jar a JVM runs does not change under it. */
    private static volatile Optional<String> runningBuild;

    private final Path record;
    private final Map<String, String> environment;
    /** The build of beckon resolving: its jar and the libraries beside it; empty when it runs from class directories. */
    private final Optional<String> build;

    ResolvedInputs(Path record, Map<String, String> environment, Optional<String> build) {
        this.record = record;
        this.environment = environment;
        this.build = build;
    }

    /** The record of the profile whose generations are in {@code profileDirectory}, for the running beckon. */
    public static ResolvedInputs of(Path profileDirectory, Map<String, String> environment) {
        return new ResolvedInputs(profileDirectory.resolve(FILE_NAME), environment, runningBuild());
    }

    /**
     * Whether the model's inputs are what resolved the current generation's manifest, whose recorded JSON has the
     * digest {@code currentDigest} gives ({@link ManifestJson#digestOfWritten}); asked only once the inputs match, for a
     * large manifest's digest costs more than looking at the inputs. A record that is missing, damaged or of another
     * build is no match: the model is then resolved as always.
     */
    public boolean resolvedTo(ModelFiles files, java.util.function.Supplier<Optional<String>> currentDigest) {
        if (build.isEmpty()) {
            return false;
        }
        try {
            Optional<List<String>> lines = readRecord();
            if (lines.isEmpty() || lines.get().size() < 3 || !lines.get().get(0).equals(HEADER)
                    || !lines.get().get(1).startsWith("manifest ") || !lines.get().get(2).startsWith("inputs ")) {
                return false;
            }
            List<Path> packages = new ArrayList<>();
            for (String line : lines.get().subList(3, lines.get().size())) {
                if (!line.startsWith("package ")) {
                    return false;
                }
                packages.add(Path.of(line.substring("package ".length())));
            }
            Optional<String> now = fingerprint(files, packages, Long.MAX_VALUE);
            if (now.isEmpty() || !lines.get().get(2).equals("inputs " + now.get())) {
                return false;
            }
            Optional<String> current = currentDigest.get();
            return current.isPresent() && lines.get().get(1).equals("manifest " + current.get());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The model's files as a command found them before loading them, and when it began: see {@link #remember}. */
    public record Before(Optional<String> modelFiles, long beganMillis) {}

    /** The model's files as they are now, for a command that is about to load them and began at {@code beganMillis}. */
    public Before beforeLoading(ModelFiles files, long beganMillis) {
        try {
            return new Before(Optional.of(modelFilesDigest(files)), beganMillis);
        } catch (IOException | RuntimeException e) {
            return new Before(Optional.empty(), beganMillis);
        }
    }

    /**
     * Records what {@code resolved} was resolved from, once it is the current generation's manifest. A manifest that
     * depends on more than files, model files that are not what {@code before} found, or packages changed too recently
     * to tell clear the record instead.
     */
    public void remember(ModelFiles files, Before before, Manifest resolved, boolean dependsOnlyOnFiles) throws IOException {
        Optional<String> inputs = Optional.empty();
        TreeSet<Path> packages = new TreeSet<>();
        if (dependsOnlyOnFiles && build.isPresent() && before.modelFiles().isPresent()
                && before.modelFiles().get().equals(modelFilesDigest(files))) {
            for (ManifestEntry entry : resolved.entries()) {
                if (!entry.packageSource().isEmpty()) {
                    packages.add(Path.of(entry.packageSource()));
                }
            }
            inputs = fingerprint(files, List.copyOf(packages), before.beganMillis() - InodeStamp.RACY_MILLIS);
        }
        if (inputs.isEmpty()) {
            AtomicFiles.delete(record);
            return;
        }
        StringBuilder text = new StringBuilder(HEADER).append('\n')
                .append("manifest ").append(ManifestJson.digest(resolved)).append('\n')
                .append("inputs ").append(inputs.get()).append('\n');
        packages.forEach(path -> text.append("package ").append(path).append('\n'));
        AtomicFiles.write(record, text.toString(), AtomicFiles.READABLE);
    }

    /** The record's lines; it is beckon's own file in a directory checked as the profile was opened, never a link. */
    private Optional<List<String>> readRecord() throws IOException {
        try (InputStream in = Files.newInputStream(record, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(1 << 20);
            return Optional.of(List.of(new String(bytes, StandardCharsets.UTF_8).split("\n")));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The digest of every input, or empty when a package's file changed at or after {@code racyFromMillis} (or
     * cannot be read: then resolving says what is wrong).
     */
    Optional<String> fingerprint(ModelFiles files, List<Path> packages, long racyFromMillis) throws IOException {
        MessageDigest digest = PackageDigest.sha256();
        PackageDigest.update(digest, "build " + build.orElse(""));
        PackageDigest.update(digest, "directory " + Path.of("").toAbsolutePath());
        new TreeMap<>(environment).forEach((name, value) -> {
            if (!NOT_READ_BY_RESOLVING.contains(name)) {
                PackageDigest.update(digest, "variable " + name + "=" + value);
            }
        });
        PackageDigest.update(digest, "models " + modelFilesDigest(files));
        for (Path root : packages) {
            Optional<String> stamp = InodeStamp.of(root, racyFromMillis);
            if (stamp.isEmpty()) {
                return Optional.empty();
            }
            PackageDigest.update(digest, "package " + root + " " + stamp.get());
        }
        return Optional.of(HexFormat.of().formatHex(digest.digest()));
    }

    /** The three model files' paths and bytes; one that is not there counts as absent. Links are followed, as loading does. */
    private static String modelFilesDigest(ModelFiles files) throws IOException {
        MessageDigest digest = PackageDigest.sha256();
        for (Path file : List.of(files.services(), files.infrastructure(), files.distribution())) {
            Path absolute = file.toAbsolutePath();
            try {
                PackageDigest.update(digest, "model " + absolute + " " + HexFormat.of().formatHex(PackageDigest.sha256().digest(Files.readAllBytes(absolute))));
            } catch (NoSuchFileException e) {
                PackageDigest.update(digest, "model " + absolute + " absent");
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static long nanos(Object time) {
        java.time.Instant instant = ((FileTime) time).toInstant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    /**
     * The running beckon's build, as its files say: the jar its classes come from and every jar beside it in
     * {@code lib/} (its libraries), each by path, size, time and inode. Empty when its classes come from a directory
     * (a build tree), which no such look can vouch for.
     */
    static Optional<String> runningBuild() {
        Optional<String> known = runningBuild;
        if (known == null) {
            known = lookAtRunningBuild();
            runningBuild = known;
        }
        return known;
    }

    private static Optional<String> lookAtRunningBuild() {
        try {
            var source = ResolvedInputs.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null || !"file".equals(source.getLocation().getProtocol())) {
                return Optional.empty();
            }
            Path jar = Path.of(source.getLocation().toURI()).toAbsolutePath();
            if (!Files.isRegularFile(jar)) {
                return Optional.empty();
            }
            List<Path> files = new ArrayList<>(List.of(jar));
            Path libraries = jar.resolveSibling("lib");
            if (Files.isDirectory(libraries)) {
                try (DirectoryStream<Path> jars = Files.newDirectoryStream(libraries)) {
                    jars.forEach(files::add);
                }
            }
            StringBuilder identity = new StringBuilder();
            for (Path file : new TreeSet<>(files)) {
                Map<String, Object> a = Files.readAttributes(file, "unix:size,lastModifiedTime,ino", LinkOption.NOFOLLOW_LINKS);
                identity.append(file).append(' ').append(a.get("size")).append(' ').append(nanos(a.get("lastModifiedTime")))
                        .append(' ').append(a.get("ino")).append('\n');
            }
            return Optional.of(HexFormat.of().formatHex(PackageDigest.sha256().digest(identity.toString().getBytes(StandardCharsets.UTF_8))));
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
