package dev.beckon.planner.generations;

import dev.beckon.activation.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * What the current generation's manifest is, noted in the profile's directory (with the profile's name, which JGit
 * found in the repository's config) ({@value #FILE}) each time JGit has
 * read it, so that a command that only needs it (a {@code plan} that changes nothing) reads it without starting JGit.
 *
 * <p>It is used only when it still describes the repository exactly: its fingerprint, a SHA-256 over every file that
 * git changes in place ({@code config}, {@code HEAD}, {@code packed-refs} and everything under {@code refs/}), is
 * that of the files now; and each object JGit read to answer (every kept generation's commit, the current one's tree
 * and its {@code manifest.json}) is still a loose object whose content hashes to its id, so a damaged or missing
 * object is noticed as JGit would notice it. Git objects never change under their id, so then JGit would read
 * the same answer. Anything else (no record, one from another state, a packed object, a link) means: ask JGit,
 * which notes the record again.
 */
final class CurrentRecord {
    static final String FILE = "current.record";
    private static final String HEADER = "beckon current record 1";
    private static final Pattern ID = Pattern.compile("[0-9a-f]{40}");

    /** The current generation's number and manifest, and the fingerprint of the refs they were read under. */
    record Current(int number, byte[] manifest, String fingerprint) {}

    /** What JGit read: the kept generations' commits, the current number, its tree and its manifest's blob. */
    record Read(SortedMap<Integer, String> kept, int current, String tree, String manifest) {}

    private CurrentRecord() {}

    /**
     * Whether {@code directory} holds a record noted for {@code profile}: then it is that profile's repository (as
     * far as a look without the lock can tell), and {@link #read} under the lock is worth it. A directory without
     * one is left untouched: it may be none of beckon's.
     */
    static boolean notedFor(Path directory, String profile) {
        try {
            Path file = directory.resolve(FILE);
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    && new String(Files.readAllBytes(file), StandardCharsets.UTF_8).startsWith(HEADER + "\nprofile " + profile + "\n");
        } catch (IOException e) {
            return false;
        }
    }

    /** The record's answer when it describes {@code profile}'s repository exactly; empty when JGit must be asked. */
    static Optional<Current> read(Path directory, String profile) {
        try {
            Path file = directory.resolve(FILE);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            int check = text.lastIndexOf("check ");
            String start = HEADER + "\nprofile " + profile + "\n";
            if (check < 0 || !text.startsWith(start) || !text.substring(check).equals("check " + sha256(text.substring(0, check)) + "\n")) {
                return Optional.empty();
            }
            String fingerprint = null;
            String tree = null;
            String manifest = null;
            int current = 0;
            SortedMap<Integer, String> kept = new TreeMap<>();
            for (String line : text.substring(start.length(), check).split("\n")) {
                String[] words = line.split(" ");
                switch (words[0]) {
                    case "fingerprint" -> fingerprint = words[1];
                    case "current" -> current = Integer.parseInt(words[1]);
                    case "tree" -> tree = words[1];
                    case "manifest" -> manifest = words[1];
                    case "kept" -> kept.put(Integer.parseInt(words[1]), words[2]);
                    default -> {
                        return Optional.empty();
                    }
                }
            }
            if (fingerprint == null || tree == null || manifest == null || !kept.containsKey(current)
                    || !fingerprint.equals(fingerprint(directory).orElse(null))) {
                return Optional.empty();
            }
            for (String commit : kept.values()) {
                if (object(directory, commit, "commit").isEmpty()) {
                    return Optional.empty();
                }
            }
            Optional<byte[]> commit = object(directory, kept.get(current), "commit");
            Optional<byte[]> treeContent = object(directory, tree, "tree");
            Optional<byte[]> blob = object(directory, manifest, "blob");
            if (commit.isEmpty() || treeContent.isEmpty() || blob.isEmpty()
                    || !new String(commit.get(), StandardCharsets.ISO_8859_1).startsWith("tree " + tree + "\n")
                    || !names(treeContent.get(), GenerationHistory.MANIFEST_FILE, manifest)) {
                return Optional.empty();
            }
            return Optional.of(new Current(current, blob.get(), fingerprint));
        } catch (IOException | RuntimeException e) {
            // Unreadable or not of this shape: JGit reads the repository and says what is wrong with it, if anything.
            return Optional.empty();
        }
    }

    /** Notes what JGit read, when every object it read is loose (else leaves no record). Holds the profile's lock. */
    static void write(Path directory, String profile, Read read) throws IOException {
        Optional<String> fingerprint = fingerprint(directory);
        List<String> objects = new ArrayList<>(read.kept().values());
        objects.add(read.tree());
        objects.add(read.manifest());
        boolean loose = objects.stream().allMatch(id -> ID.matcher(id).matches()
                && Files.isRegularFile(looseObject(directory, id), LinkOption.NOFOLLOW_LINKS));
        if (fingerprint.isEmpty() || !loose) {
            Files.deleteIfExists(directory.resolve(FILE));
            return;
        }
        StringBuilder text = new StringBuilder(HEADER).append('\n')
                .append("profile ").append(profile).append('\n')
                .append("fingerprint ").append(fingerprint.get()).append('\n')
                .append("current ").append(read.current()).append('\n')
                .append("tree ").append(read.tree()).append('\n')
                .append("manifest ").append(read.manifest()).append('\n');
        read.kept().forEach((number, commit) -> text.append("kept ").append(number).append(' ').append(commit).append('\n'));
        String check = sha256(text.toString());
        text.append("check ").append(check).append('\n');
        AtomicFiles.write(directory.resolve(FILE), text.toString(), PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * A SHA-256 over the files git changes in place, by name and content; empty when one is a link or not a plain
     * file (JGit is asked then). Lock files of writers count too: a record is not used while a writer may be at work.
     */
    static Optional<String> fingerprint(Path directory) throws IOException {
        MessageDigest digest = newSha256();
        List<Path> files = new ArrayList<>();
        for (String name : List.of("config", "HEAD", "packed-refs")) {
            files.add(directory.resolve(name));
        }
        Path refs = directory.resolve("refs");
        if (Files.isDirectory(refs, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> walk = Files.walk(refs)) {
                walk.sorted().forEach(files::add);
            }
        }
        for (Path file : files) {
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException absent) {
                digest.update(("absent " + directory.relativize(file) + "\n").getBytes(StandardCharsets.UTF_8));
                continue;
            }
            if (attributes.isDirectory()) {
                digest.update(("directory " + directory.relativize(file) + "\n").getBytes(StandardCharsets.UTF_8));
                continue;
            }
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            byte[] content = Files.readAllBytes(file);
            digest.update(("file " + directory.relativize(file) + " " + content.length + "\n").getBytes(StandardCharsets.UTF_8));
            digest.update(content);
        }
        return Optional.of(HexFormat.of().formatHex(digest.digest()));
    }

    /** A loose object's content when it is one of {@code type} whose bytes hash to {@code id}, as git defines the id. */
    private static Optional<byte[]> object(Path directory, String id, String type) throws IOException {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        Path file = looseObject(directory, id);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        byte[] whole = inflate(Files.readAllBytes(file));
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-1", e);
        }
        if (whole == null || !HexFormat.of().formatHex(sha1.digest(whole)).equals(id)) {
            return Optional.empty();
        }
        int end = 0;
        while (end < whole.length && whole[end] != 0) {
            end++;
        }
        String header = new String(whole, 0, end, StandardCharsets.ISO_8859_1);
        if (end == whole.length || !header.equals(type + " " + (whole.length - end - 1))) {
            return Optional.empty();
        }
        return Optional.of(Arrays.copyOfRange(whole, end + 1, whole.length));
    }

    /** Whether a tree's entries name {@code name} as a plain file with the blob {@code id}. */
    private static boolean names(byte[] tree, String name, String id) {
        int at = 0;
        while (at < tree.length) {
            int space = indexOf(tree, (byte) ' ', at);
            int nul = indexOf(tree, (byte) 0, space + 1);
            if (space < 0 || nul < 0 || nul + 21 > tree.length) {
                return false;
            }
            String mode = new String(tree, at, space - at, StandardCharsets.ISO_8859_1);
            String entry = new String(tree, space + 1, nul - space - 1, StandardCharsets.UTF_8);
            String entryId = HexFormat.of().formatHex(tree, nul + 1, nul + 21);
            if (entry.equals(name)) {
                return (mode.equals("100644") || mode.equals("100755")) && entryId.equals(id);
            }
            at = nul + 21;
        }
        return false;
    }

    private static int indexOf(byte[] bytes, byte wanted, int from) {
        for (int i = Math.max(from, 0); i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    /** The zlib stream of a loose object, inflated; null when it is not one whole stream. */
    private static byte[] inflate(byte[] compressed) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            ByteArrayOutputStream out = new ByteArrayOutputStream(compressed.length * 4);
            byte[] buffer = new byte[64 * 1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    return null;
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }

    private static Path looseObject(Path directory, String id) {
        return directory.resolve("objects").resolve(id.substring(0, 2)).resolve(id.substring(2));
    }

    private static String sha256(String text) {
        return HexFormat.of().formatHex(newSha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }
}
