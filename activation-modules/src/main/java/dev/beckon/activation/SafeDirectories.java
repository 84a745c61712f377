package dev.beckon.activation;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The directories beckon writes into, and how it opens files there, so that no other user can make it write
 * where they choose (by planting a symbolic link, or renaming a directory away and putting their own in its place).
 *
 * <p>A directory is trusted when it and every directory on the way to it is owned by root or by the user beckon
 * runs as, and none of them can be written by group or others; an ancestor with the sticky bit (such as
 * {@code /tmp}) is trusted too, because there only an entry's owner may rename or remove it. A symbolic link on the
 * way must be owned by root or the user. Then nobody else can change what the path names, and files beckon creates
 * in it (exclusively, or opened with {@code O_NOFOLLOW}) are its own.
 *
 * <p>Directories beckon makes get {@link #MODE}, set after creating them, so the umask has no say.
 */
public final class SafeDirectories {
    /** rwxr-xr-x: service managers running as other users read units, launchers and packages there. */
    public static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private static final int WRITABLE_BY_GROUP_OR_OTHERS = 0022;
    private static final int STICKY = 01000;
    private static final int TYPE_MASK = 0170000;
    private static final int TYPE_DIRECTORY = 0040000;
    private static final int TYPE_LINK = 0120000;

    private SafeDirectories() {}

    /** A path beckon will not write through; the message names it and says what to do. */
    public static final class UnsafePathException extends IOException {
        private static final long serialVersionUID = 1L;

        UnsafePathException(String message) {
            super(message);
        }
    }

    /**
     * Makes {@code directory} and its missing parents with {@link #MODE}, then checks that the whole path is
     * trusted.
     *
     * @return the directory
     * @throws UnsafePathException when a directory on the path is another user's or writable by others
     */
    public static Path ensure(Path directory) throws IOException {
        return ensure(directory, false);
    }

    /**
     * As {@link #ensure(Path)}, for a directory that files are only ever replaced in atomically (a temporary file
     * created exclusively, then renamed over): there a sticky directory such as {@code /tmp} is safe too, since
     * nobody else can rename over or remove what beckon made in it, and a rename replaces a planted link instead
     * of following it.
     */
    public static Path ensureForAtomicWrites(Path directory) throws IOException {
        return ensure(directory, true);
    }

    private static Path ensure(Path directory, boolean stickyAllowed) throws IOException {
        Path absolute = directory.toAbsolutePath().normalize();
        verify(absolute, stickyAllowed);
        List<Path> missing = new ArrayList<>();
        for (Path p = absolute; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.add(0, p);
        }
        for (Path p : missing) {
            try {
                Files.createDirectory(p);
                Files.setPosixFilePermissions(p, MODE);
            } catch (FileAlreadyExistsException e) {
                // Another deployer made it meanwhile; verified below like any other.
            }
        }
        if (!missing.isEmpty()) {
            verify(absolute, stickyAllowed);
        }
        return directory;
    }

    /**
     * Checks every directory of {@code directory}'s path that exists: ancestors owned by root or this user and not
     * writable by others (sticky ones are), and the deepest one that exists owned by this user (or root) and not
     * writable by group or others at all, since beckon writes into it.
     *
     * @throws UnsafePathException naming the first directory that is not trusted and what to do
     */
    public static void verify(Path directory) throws IOException {
        verify(directory, false);
    }

    private static void verify(Path directory, boolean stickyAllowed) throws IOException {
        Path absolute = directory.toAbsolutePath().normalize();
        int me = ownUid();
        List<Path> chain = new ArrayList<>();
        for (Path p = absolute; p != null; p = p.getParent()) {
            chain.add(0, p);
        }
        Path deepest = null;
        for (Path p : chain) {
            Map<String, Object> attributes;
            try {
                attributes = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                break;
            }
            int uid = (Integer) attributes.get("uid");
            int mode = (Integer) attributes.get("mode");
            if ((mode & TYPE_MASK) == TYPE_LINK) {
                if (uid != 0 && uid != me) {
                    throw new UnsafePathException(describe(p) + " on the way to " + absolute + " is a symbolic link owned by "
                            + owner(p) + ", not by " + userName() + " or root, who could point it anywhere; replace it with the"
                            + " directory it names, or use another directory");
                }
                verifyRealPath(p, absolute, me);
                deepest = p;
                continue;
            }
            if ((mode & TYPE_MASK) != TYPE_DIRECTORY) {
                if (p.equals(absolute)) {
                    throw new UnsafePathException(absolute + " is not a directory; remove it or use another path");
                }
                break;
            }
            check(p, absolute, uid, mode, me, false);
            deepest = p;
        }
        if (deepest != null) {
            Path real = deepest.toRealPath();
            Map<String, Object> attributes = Files.readAttributes(real, "unix:uid,mode");
            // Only the directory itself must be closed to others; a sticky ancestor such as /tmp may hold it.
            check(real, absolute, (Integer) attributes.get("uid"), (Integer) attributes.get("mode"), me,
                    deepest.equals(absolute) && !stickyAllowed);
        }
    }

    /**
     * Checks what a trusted directory holds, as far as beckon uses it: no symbolic link (beckon makes none there),
     * and every directory owned by root or this user and closed to group and others.
     *
     * @throws UnsafePathException naming the first entry that is not trusted and what to do
     */
    public static void verifyEntry(Path entry) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(entry, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        int mode = (Integer) attributes.get("mode");
        if ((mode & TYPE_MASK) == TYPE_LINK) {
            throw new UnsafePathException(entry + " is a symbolic link that beckon did not make; beckon does not write through"
                    + " it: remove it");
        }
        if ((mode & TYPE_MASK) == TYPE_DIRECTORY) {
            check(entry, entry, (Integer) attributes.get("uid"), mode, ownUid(), true);
        }
    }

    /** The directories a link leads through must be trusted as well: checks the chain of its real path. */
    private static void verifyRealPath(Path link, Path wanted, int me) throws IOException {
        Path real;
        try {
            real = link.toRealPath();
        } catch (NoSuchFileException e) {
            throw new UnsafePathException(link + " on the way to " + wanted + " is a symbolic link to nothing; remove it or"
                    + " make what it names");
        }
        for (Path p = real; p != null; p = p.getParent()) {
            Map<String, Object> attributes = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            check(p, wanted, (Integer) attributes.get("uid"), (Integer) attributes.get("mode"), me, false);
        }
    }

    private static void check(Path p, Path wanted, int uid, int mode, int me, boolean writtenInto) throws IOException {
        String where = p.equals(wanted) ? describe(p) : describe(p) + " (on the way to " + wanted + ")";
        if (uid != 0 && uid != me) {
            throw new UnsafePathException(where + " is owned by " + owner(p) + ", not by " + userName()
                    + (me == 0 ? "" : " or root") + ", who could make beckon write where they choose; `chown " + userName()
                    + " " + p + "` or use another directory");
        }
        boolean sticky = (mode & STICKY) != 0;
        if ((mode & WRITABLE_BY_GROUP_OR_OTHERS) != 0 && (writtenInto || !sticky)) {
            throw new UnsafePathException(where + " can be written by " + ((mode & 0002) != 0 ? "others" : "its group")
                    + " (mode " + String.format("%04o", mode & 07777) + "), who could make beckon write where they choose; `chmod"
                    + " go-w " + p + "` or use another directory");
        }
    }

    private static String describe(Path p) {
        return "the directory " + p;
    }

    private static String owner(Path p) {
        try {
            return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException e) {
            return "another user";
        }
    }

    private static String userName() {
        return System.getProperty("user.name");
    }

    /** A failure for a message: a refused path says all there is; any other keeps its kind ({@code NoSuchFileException: /x}). */
    public static String describe(IOException e) {
        return e instanceof UnsafePathException ? e.getMessage() : e.toString();
    }

    /** The effective uid of this process: the owner of its own {@code /proc} directory. */
    public static int ownUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /**
     * Opens a file for writing in a directory that {@link #ensure} made safe, without following a symbolic link
     * at its name: a link there is refused, whoever put it.
     */
    public static FileChannel openNoFollow(Path file, OpenOption... options) throws IOException {
        List<OpenOption> all = new ArrayList<>(Arrays.asList(options));
        all.add(LinkOption.NOFOLLOW_LINKS);
        try {
            return FileChannel.open(file, Set.copyOf(all));
        } catch (IOException e) {
            if (Files.isSymbolicLink(file)) {
                throw new UnsafePathException(file + " is a symbolic link that beckon did not make; beckon does not write"
                        + " through it: remove it");
            }
            throw e;
        }
    }
}
