package dev.beckon.planner.target;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.Messages;
import dev.beckon.models.SocketPassing;
import dev.beckon.planner.manifest.ClassDataArchive;
import dev.beckon.planner.manifest.InodeStamp;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.PackageDigest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Makes an instance's class-data archive on its target, by a training start that needs no client: the
 * service's own command, with {@code -XX:ArchiveClassesAtExit=}, is started by {@code systemd-socket-activate}
 * under stand-ins for its sockets (127.0.0.1 on a free port for each TCP listener), passed by its own contract
 * ({@code LISTEN_FDS} from fd 3 with the listeners' names, or standard input; one process per connection when it
 * accepts so), with its environment and an idle timeout of one second. It is sent one connection, which it
 * answers (or, for a service that waits for a request, holds open for a few seconds); then it is stopped with
 * SIGTERM, and the JVM writes the archive as it exits.
 *
 * <p>Beside the archive, {@code class-data.jdk} records the JDK build it was made with (the launcher's real path,
 * the JDK's {@code release} file, the size and time of its {@code libjvm.so}) and the archive's SHA-256, or why
 * there is none. An archive is remade when that build changes; a training that fails is recorded too and not
 * tried again for that build: the service starts without an archive, as before, and the deployment goes on.
 */
public final class ClassDataTraining {
    static final String RECORD_NAME = "class-data.jdk";
    /** What the archive's inode said when it was last found to hash as recorded ({@link InodeStamp}). */
    static final String STAMP_NAME = "class-data.inodes";
    static final String LOG_NAME = "class-data-training.log";
    private static final String SOCKET_ACTIVATE = "systemd-socket-activate";
    private static final long CONNECT_MILLIS = 20_000;
    private static final int ANSWER_MILLIS = 5_000;
    /** What it may take to write the archive once told to stop. */
    private static final long DUMP_MILLIS = 60_000;
    private static final int LIFETIME_SECONDS = 120;

    private ClassDataTraining() {}

    /** What the record beside an archive says. */
    record Recorded(String jdk, Optional<String> archiveDigest, String note) {
        static Optional<Recorded> read(Path file) throws IOException {
            Optional<String> text = AtomicFiles.read(file);
            if (text.isEmpty()) {
                return Optional.empty();
            }
            String[] lines = text.get().split("\n", -1);
            if (lines.length < 2 || !lines[0].startsWith("jdk ")) {
                return Optional.of(new Recorded("", Optional.empty(), "unreadable"));
            }
            String second = lines[1];
            return Optional.of(new Recorded(lines[0].substring(4), second.startsWith("archive ")
                    ? Optional.of(second.substring(8)) : Optional.empty(), second));
        }

        String text() {
            return "jdk " + jdk + "\n" + archiveDigest.map(d -> "archive " + d).orElse(note) + "\n";
        }
    }

    /**
     * Why the instance's archive must be made again, for the plan: the JDK changed, or the archive was changed or
     * removed after it was made; empty when it is as made, or the instance has none.
     */
    public static Optional<String> staleness(ManifestEntry entry) {
        if (entry.classDataArchive().isEmpty()) {
            return Optional.empty();
        }
        Path archive = Path.of(entry.classDataArchive());
        try {
            Optional<Recorded> recorded = Recorded.read(archive.resolveSibling(RECORD_NAME));
            if (recorded.isEmpty()) {
                return Optional.of(ClassDataArchive.REASON_PREFIX + "not made yet");
            }
            if (!recorded.get().jdk().equals(jdkBuild(entry).orElse(""))) {
                return Optional.of(ClassDataArchive.REASON_PREFIX + "JDK changed");
            }
            if (recorded.get().archiveDigest().isPresent() && !asMade(archive, recorded.get().archiveDigest().get())) {
                return Optional.of(ClassDataArchive.REASON_PREFIX + (Files.exists(archive, LinkOption.NOFOLLOW_LINKS) ? "damaged" : "removed"));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(ClassDataArchive.REASON_PREFIX + "cannot be checked: " + e.getMessage());
        }
    }

    /**
     * Makes the archive unless it is there, whole and made with this JDK (or a training with this JDK failed before).
     *
     * @return a line for the deployment's progress when it trained (what it made, or why it made nothing); empty
     *     when there was nothing to do
     */
    public static Optional<String> makeIfNeeded(ManifestEntry entry) {
        if (entry.classDataArchive().isEmpty() || staleness(entry).isEmpty()) {
            return Optional.empty();
        }
        Path archive = Path.of(entry.classDataArchive());
        Path partial = archive.resolveSibling("." + archive.getFileName() + ".partial-" + ProcessHandle.current().pid());
        long began = System.nanoTime();
        String jdk = "";
        try {
            jdk = jdkBuild(entry).orElseThrow(() -> new IOException("cannot find " + Messages.printable(entry.exec().get(0))
                    + " on PATH"));
            Files.deleteIfExists(partial);
            String failure = train(entry, partial);
            if (failure != null) {
                throw new IOException(failure);
            }
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("r--r--r--"));
            Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.write(archive.resolveSibling(RECORD_NAME), new Recorded(jdk, digest(archive), "").text(), AtomicFiles.READABLE);
            return Optional.of(String.format(Locale.ROOT, "made a class-data archive for %s (%.1f MiB, training start %.1f s)",
                    entry.id(), Files.size(archive) / 1048576.0, (System.nanoTime() - began) / 1e9));
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            try {
                Files.deleteIfExists(partial);
                // Recorded, so that the next deployment does not train again with the same JDK, only to fail again.
                AtomicFiles.write(archive.resolveSibling(RECORD_NAME), new Recorded(jdk, Optional.empty(),
                        "none: " + Messages.printable(why)).text(), AtomicFiles.READABLE);
            } catch (IOException cleanup) {
                why += "; and cannot record that: " + cleanup.getMessage();
            }
            return Optional.of("no class-data archive for " + entry.id() + ": " + Messages.printable(why)
                    + "; it starts without one (the training start's output: " + archive.resolveSibling(LOG_NAME) + ")");
        }
    }

    /** Runs the training start; returns why it made no archive, or null when it did. */
    private static String train(ManifestEntry entry, Path dumpTo) throws IOException {
        List<String> training = ClassDataArchive.training(entry.exec(), dumpTo)
                .orElseThrow(() -> new IOException("its exec names no archive (this is a bug)"));
        Optional<Path> socketActivate = onPath(SOCKET_ACTIVATE, System.getenv("PATH"));
        if (socketActivate.isEmpty()) {
            return SOCKET_ACTIVATE + " is not installed (it comes with systemd), so no training start can pass sockets";
        }
        ServiceInstance.Activation activation = entry.toInstance("training").onDemand()
                .orElseThrow(() -> new IOException("it is not started by its sockets (this is a bug)"));
        List<String> command = new ArrayList<>();
        // Bounded, so that a training start outlives a beckon killed meanwhile by two minutes at most.
        onPath("timeout", System.getenv("PATH")).ifPresent(timeout -> command.addAll(List.of(timeout.toString(), "--kill-after=5",
                String.valueOf(LIFETIME_SECONDS))));
        command.add(socketActivate.get().toString());
        Path sockets = Files.createTempDirectory("beckon-class-data-");
        int port = -1;
        try {
            for (ListenAddress address : activation.listen()) {
                if (address instanceof ListenAddress.Unix) {
                    command.add("--listen=" + sockets.resolve("socket" + command.size()));
                } else {
                    int free = freePort();
                    port = port < 0 ? free : port;
                    command.add("--listen=127.0.0.1:" + free);
                }
            }
            if (port < 0) {
                return "it listens on no TCP address, and a training connection is made over TCP only";
            }
            command.add("--fdname=" + String.join(":", activation.listenerNames(entry.ports())));
            if (activation.accept()) {
                command.add("--accept");
            }
            if (activation.pass() == SocketPassing.STDIN) {
                command.add("--inetd");
            }
            command.addAll(training);
            ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of("/").toFile()).redirectErrorStream(true)
                    .redirectOutput(dumpTo.resolveSibling(LOG_NAME).toFile());
            Map<String, String> environment = builder.environment();
            environment.keySet().removeIf(name -> !List.of("PATH", "HOME", "LANG", "USER", "LOGNAME").contains(name));
            environment.putAll(entry.environment());
            environment.put("BECKON_IDLE_TIMEOUT", "1s");
            Process process = builder.start();
            try {
                connectOnce(port, process);
                stop(process);
            } finally {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } finally {
            try (var left = Files.list(sockets)) {
                for (Path socket : left.toList()) {
                    Files.deleteIfExists(socket);
                }
            }
            Files.deleteIfExists(sockets);
        }
        if (!Files.isRegularFile(dumpTo, LinkOption.NOFOLLOW_LINKS) || Files.size(dumpTo) == 0) {
            return "the training start wrote no archive";
        }
        return null;
    }

    /** Makes the one connection, and reads the answer until the service closes it or stops answering. */
    private static void connectOnce(int port, Process process) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_MILLIS);
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), ANSWER_MILLIS);
                socket.setSoTimeout(ANSWER_MILLIS);
                InputStream answer = socket.getInputStream();
                byte[] buffer = new byte[8192];
                try {
                    while (answer.read(buffer) >= 0) {
                        // Read to the end: the service has done its work for this connection when it closes it.
                    }
                } catch (java.net.SocketTimeoutException e) {
                    // A service that waits for a request: what it loaded to accept is loaded.
                }
                return;
            } catch (java.net.ConnectException e) {
                if (!process.isAlive()) {
                    throw new IOException("the training start exited with status " + process.exitValue() + " before listening");
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the training start did not listen within " + CONNECT_MILLIS / 1000 + " s");
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the training start", interrupted);
                }
            }
        }
    }

    /**
     * Stops the training start with SIGTERM once it answered, as systemd stops a service; the JVM writes the archive as
     * it exits (an idle-monitor service drains first). Waiting for an idle exit instead would only take longer.
     */
    private static void stop(Process process) throws IOException {
        // Children first: with --accept, systemd-socket-activate itself is no JVM and writes nothing.
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        try {
            for (ProcessHandle handle : all) {
                handle.onExit().get(DUMP_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the training start did not exit within " + DUMP_MILLIS / 1000 + " s of SIGTERM");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("cannot wait for the training start: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the training start", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", 0));
            return probe.getLocalPort();
        }
    }

    /**
     * The JDK build the instance's {@code java} belongs to, as a key: the launcher's real path, the JDK's
     * {@code release} file and the size and modification time of its {@code libjvm.so}; empty when the launcher
     * is not found.
     */
    static Optional<String> jdkBuild(ManifestEntry entry) throws IOException {
        String program = entry.exec().get(0);
        Optional<Path> launcher = program.contains("/") ? Optional.of(Path.of(program))
                : onPath(program, entry.environment().getOrDefault("PATH", System.getenv("PATH")));
        if (launcher.isEmpty() || !Files.isRegularFile(launcher.get())) {
            return Optional.empty();
        }
        Path real = launcher.get().toRealPath();
        Path home = real.getParent() == null || real.getParent().getParent() == null ? real : real.getParent().getParent();
        StringBuilder key = new StringBuilder("launcher ").append(real).append('\n');
        Path release = home.resolve("release");
        if (Files.isRegularFile(release)) {
            key.append(Files.readString(release)).append('\n');
        }
        for (Path jvm : List.of(home.resolve("lib/server/libjvm.so"), home.resolve("lib/client/libjvm.so"))) {
            if (Files.isRegularFile(jvm)) {
                key.append(jvm).append(' ').append(Files.size(jvm)).append(' ').append(Files.getLastModifiedTime(jvm).toMillis())
                        .append('\n');
            }
        }
        return Optional.of(PackageDigest.ofText(key.toString()));
    }

    private static Optional<Path> onPath(String program, String path) {
        for (String directory : (path == null ? "/usr/local/bin:/usr/bin:/bin" : path).split(":")) {
            if (!directory.isEmpty()) {
                Path candidate = Path.of(directory, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the archive still hashes to {@code digest}, what it hashed to when made: read only when its inode
     * changed since it last did (an archive is tens of megabytes, and every plan asks this of every instance).
     */
    private static boolean asMade(Path archive, String digest) throws IOException {
        Path stamp = archive.resolveSibling(STAMP_NAME);
        if (InodeStamp.holds(stamp, archive)) {
            return true;
        }
        long began = System.currentTimeMillis();
        boolean whole = Optional.of(digest).equals(digest(archive));
        if (whole) {
            InodeStamp.recordAfterCheck(stamp, archive, began);
        } else {
            InodeStamp.forget(stamp);
        }
        return whole;
    }

    private static Optional<String> digest(Path archive) throws IOException {
        return Files.isRegularFile(archive, LinkOption.NOFOLLOW_LINKS) ? Optional.of(PackageDigest.of(archive)) : Optional.empty();
    }
}
