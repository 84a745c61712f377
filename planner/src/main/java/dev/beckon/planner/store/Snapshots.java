package dev.beckon.planner.store;

import dev.beckon.activation.SafeDirectories;
import dev.beckon.idle.WarmStateSnapshot;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A service's warm-state snapshots on its target: {@code STATE_DIR/snapshots/PROFILE/SERVICE/ID.state}, each a whole
 * region ({@link WarmStateSnapshot}) named by when it was taken ({@code 20261202T020812.345Z}), so names sort by age.
 * Written atomically and durably. Taking one removes none: {@code beckon gc} keeps the newest {@link #KEEP} of each
 * service, or as many as it is told ({@link #trim}).
 */
public final class Snapshots {
    /** How many snapshots of each service {@code beckon gc} keeps unless told otherwise. */
    public static final int KEEP = 5;

    private static final String SUFFIX = ".state";
    private static final Pattern ID = Pattern.compile("[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z(-[0-9]+)?");
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Snapshots() {}

    /** One snapshot: its name, its file's size, and the highest transaction sequence it holds. */
    public record Snapshot(String id, long bytes, long sequence) {}

    /** Where a service's snapshots are kept on its target. */
    public static Path directory(Path stateDirectory, String profile, String service) {
        return stateDirectory.resolve("snapshots").resolve(profile).resolve(service);
    }

    /** Copies the committed content of {@code region} into a new snapshot in {@code directory}. */
    public static Snapshot take(Path region, Path directory) throws IOException {
        if (!Files.isRegularFile(region, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(region.toString(), null, "there is no warm state yet (beckon makes it when it deploys the service)");
        }
        SafeDirectories.ensure(directory);
        String id = NAME.format(Instant.now());
        for (int n = 2; Files.exists(directory.resolve(id + SUFFIX), LinkOption.NOFOLLOW_LINKS); n++) {
            id = NAME.format(Instant.now()) + "-" + n;
        }
        Path file = directory.resolve(id + SUFFIX);
        Path temporary = directory.resolve("." + id + ".tmp");
        WarmStateSnapshot.Copied copied;
        try {
            try (FileChannel out = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                copied = WarmStateSnapshot.copy(region, out);
                out.force(true);
            }
            moveDurably(temporary, file);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return new Snapshot(id, Files.size(file), copied.highestSequence());
    }

    /**
     * gc's part: every snapshot of the profile's services in the state directory but each service's {@code keep} newest,
     * removed unless {@code dryRun}; named by their path below the state directory. The caller holds the target's lock,
     * under which snapshots are taken and restored.
     */
    static List<GarbageCollector.StoreEntry> trim(Path stateDirectory, String profile, int keep, boolean dryRun) throws IOException {
        List<GarbageCollector.StoreEntry> removed = new ArrayList<>();
        Path profileDirectory = stateDirectory.resolve("snapshots").resolve(profile);
        if (!Files.isDirectory(profileDirectory, LinkOption.NOFOLLOW_LINKS)) {
            return removed;
        }
        List<Path> services = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(profileDirectory)) {
            entries.forEach(services::add);
        }
        services.sort(Comparator.naturalOrder());
        for (Path service : services) {
            if (!Files.isDirectory(service, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            List<Snapshot> all = list(service);
            for (Snapshot old : all.subList(Math.min(keep, all.size()), all.size())) {
                removed.add(new GarbageCollector.StoreEntry(stateDirectory.relativize(service.resolve(old.id() + SUFFIX)).toString(),
                        old.bytes()));
                if (!dryRun) {
                    Files.deleteIfExists(service.resolve(old.id() + SUFFIX));
                }
            }
        }
        return removed;
    }

    /** The snapshots in {@code directory}, newest first; none when it does not exist. */
    public static List<Snapshot> list(Path directory) throws IOException {
        List<Snapshot> found = new ArrayList<>();
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String id = name.substring(0, name.length() - SUFFIX.length());
                if (ID.matcher(id).matches() && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    found.add(new Snapshot(id, Files.size(file), WarmStateSnapshot.highestSequence(file)));
                }
            }
        }
        found.sort(Comparator.comparing(Snapshot::id, Snapshots::compareIds).reversed());
        return found;
    }

    /**
     * Where a snapshot {@code id} brought from another target waits in {@code directory} until {@link #keep} keeps it:
     * a name that {@link #list} and gc pass over.
     */
    public static Path incoming(Path directory, String id) throws IOException {
        requireId(id);
        return directory.resolve("." + id + SUFFIX + ".incoming");
    }

    private static void requireId(String id) throws IOException {
        if (!ID.matcher(id).matches()) {
            throw new IOException("\"" + dev.beckon.models.Messages.printable(id) + "\" is not a snapshot name; `beckon snapshots SERVICE`"
                    + " lists them (like 20261202T020812.345Z)");
        }
    }

    /** The snapshot file of {@code id}, checked to be one. */
    public static Path file(Path directory, String id) throws IOException {
        requireId(id);
        Path file = directory.resolve(id + SUFFIX);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("there is no snapshot " + id + " in " + directory + "; `beckon snapshots SERVICE` lists them");
        }
        return file;
    }

    /**
     * Makes {@code region} hold what {@code snapshot} holds: copied beside it, forced, then renamed over it. The service
     * must not run (a running one keeps writing the file it mapped).
     */
    public static void restore(Path snapshot, Path region) throws IOException {
        SafeDirectories.ensure(region.getParent());
        Path temporary = region.resolveSibling("." + region.getFileName() + ".restore");
        Files.deleteIfExists(temporary);
        try {
            Files.copy(snapshot, temporary, LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            moveDurably(temporary, region);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Puts a snapshot file brought from elsewhere (a move's) into {@code directory}, under its own name. */
    public static void keep(Path snapshot, String id, Path directory) throws IOException {
        SafeDirectories.ensure(directory);
        Path file = directory.resolve(id + SUFFIX);
        Path temporary = directory.resolve("." + id + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.copy(snapshot, temporary, LinkOption.NOFOLLOW_LINKS);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            moveDurably(temporary, file);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Same instant: the {@code -N} suffix orders them. */
    private static int compareIds(String a, String b) {
        String[] left = a.split("-");
        String[] right = b.split("-");
        int byTime = left[0].compareTo(right[0]);
        if (byTime != 0) {
            return byTime;
        }
        return Integer.compare(left.length > 1 ? Integer.parseInt(left[1]) : 1, right.length > 1 ? Integer.parseInt(right[1]) : 1);
    }

    private static void moveDurably(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + to + " atomically: " + e.getMessage(), e);
        }
        try (FileChannel directory = FileChannel.open(to.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }
}
