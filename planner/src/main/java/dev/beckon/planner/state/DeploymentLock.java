package dev.beckon.planner.state;

import dev.beckon.planner.plan.PlanningException;
import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A lock held for a whole deployment, on a target's state directory or on a profile. Its file names the
 * holder (user, host, pid, profile, since), so a second deployer can say whom to ask; and it outlives a
 * killed holder on purpose, so that the next command can tell the targets may be in between. A lock whose
 * holder is gone (no process with its pid and start time on this host) is stale and taken over with a
 * warning.
 *
 * <p>Reading, taking over and removing the file happen under a brief kernel lock on a guard file beside it,
 * so two deployers that both find a stale lock cannot both take it.
 */
public final class DeploymentLock implements AutoCloseable {
    private final Path file;
    private final Holder holder;
    private boolean released;

    /**
     * Who holds a lock. {@code started} is the holder process's start time, so that a pid reused by another
     * process after the holder died does not keep the lock alive.
     */
    public record Holder(String user, String host, long pid, Optional<Instant> started, String profile, String command,
            Instant since) {

        public static Holder ofThisProcess(String profile, String command) {
            return new Holder(System.getProperty("user.name"), thisHost(), ProcessHandle.current().pid(),
                    ProcessHandle.current().info().startInstant(), profile, command, Instant.now());
        }

        /** Whether the holder still runs; empty when that cannot be told here (another host). */
        public Optional<Boolean> alive() {
            if (!host.equals(thisHost())) {
                return Optional.empty();
            }
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty() || !process.get().isAlive()) {
                return Optional.of(false);
            }
            Optional<Instant> actualStart = process.get().info().startInstant();
            return Optional.of(started.isEmpty() || actualStart.isEmpty() || started.get().equals(actualStart.get()));
        }

        /** For people: {@code "beckon deploy by alice@web1 (pid 4242, profile default) since 2026-11-26T22:01:29Z"}. */
        public String describe() {
            return "beckon " + command + " by " + user + "@" + host + " (pid " + pid + ", profile " + profile + ") since " + since;
        }

        public String write() {
            return "user=" + user + " host=" + host + " pid=" + pid + " started=" + started.map(Instant::toString).orElse("-")
                    + " profile=" + profile + " command=" + command + " since=" + since + "\n";
        }

        public static Holder read(String text, Path file) throws PlanningException {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : text.strip().split(" ")) {
                int equals = field.indexOf('=');
                if (equals > 0) {
                    fields.put(field.substring(0, equals), field.substring(equals + 1));
                }
            }
            try {
                String started = fields.getOrDefault("started", "-");
                return new Holder(required(fields, "user"), required(fields, "host"), Long.parseLong(required(fields, "pid")),
                        started.equals("-") ? Optional.empty() : Optional.of(Instant.parse(started)), required(fields, "profile"),
                        fields.getOrDefault("command", "deploy"), Instant.parse(required(fields, "since")));
            } catch (RuntimeException e) {
                String shown = text.strip().length() <= 200 ? text.strip() : text.strip().substring(0, 200) + "…";
                throw new PlanningException("the lock file " + file + " is not one beckon wrote (" + Messages.quote(shown)
                        + "): if no beckon runs on it, remove it with `beckon unlock --force`");
            }
        }

        private static String required(Map<String, String> fields, String key) {
            String value = fields.get(key);
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException("no " + key);
            }
            return value;
        }
    }

    private DeploymentLock(Path file, Holder holder) {
        this.file = file;
        this.holder = holder;
    }

    /** The lock file of a target's state directory. */
    public static Path targetLockFile(Path stateDirectory) {
        return stateDirectory.resolve("lock");
    }

    /**
     * Takes the lock, taking over a stale one with a warning, or fails at once naming its holder.
     *
     * @param what     what is locked, for messages: {@code "target web1"}, {@code "profile default"}
     * @param warnings where the warning about a stale lock taken over goes
     * @throws PlanningException when a live holder has it, or the file cannot be written; nothing changed then
     */
    public static DeploymentLock acquire(Path file, String what, String profile, String command, Consumer<String> warnings)
            throws PlanningException {
        Holder me = Holder.ofThisProcess(profile, command);
        try {
            SafeDirectories.ensure(file.getParent());
        } catch (SafeDirectories.UnsafePathException e) {
            throw new PlanningException(what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PlanningException(what + ": cannot create " + file.getParent() + " for its lock: " + describe(e)
                    + "; check that it is writable by " + me.user(), e);
        }
        try (Guard ignored = Guard.take(file)) {
            Optional<Holder> current = read(file);
            if (current.isPresent()) {
                Optional<Boolean> alive = current.get().alive();
                if (alive.isEmpty() || alive.get()) {
                    throw new LockedException(what + " is locked by " + current.get().describe()
                            + (alive.isEmpty() ? "; it was taken on another host, so beckon cannot tell whether it still runs" : "")
                            + ". Wait for it to finish; if it is stuck, `beckon unlock --force` breaks the lock (" + file + ")",
                            current.get());
                }
                warnings.accept("warning: " + what + " was locked by " + current.get().describe()
                        + ", which is gone; taking the stale lock over");
            }
            AtomicFiles.write(file, me.write(), AtomicFiles.READABLE);
            return new DeploymentLock(file, me);
        } catch (SafeDirectories.UnsafePathException e) {
            throw new PlanningException(what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PlanningException(what + ": cannot take the lock " + file + ": " + describe(e)
                    + "; check that the directory is writable by " + me.user(), e);
        }
    }

    /**
     * The holder named in a lock file, if there is one.
     *
     * @throws PlanningException when the file is unreadable or not a beckon lock
     */
    public static Optional<Holder> read(Path file) throws PlanningException {
        Optional<String> text;
        try {
            text = AtomicFiles.read(file);
        } catch (IOException e) {
            throw new PlanningException("cannot read the lock " + file + ": " + describe(e), e);
        }
        return text.isEmpty() ? Optional.empty() : Optional.of(Holder.read(text.get(), file));
    }

    /**
     * Removes a lock whoever holds it, for {@code beckon unlock --force}.
     *
     * @return the holder it named; empty when there was no lock
     */
    public static Optional<String> breakLock(Path file) throws PlanningException {
        try (Guard ignored = Guard.take(file)) {
            Optional<String> text = AtomicFiles.read(file);
            AtomicFiles.delete(file);
            return text.map(String::strip);
        } catch (IOException e) {
            throw new PlanningException("cannot remove the lock " + file + ": " + describe(e), e);
        }
    }

    /**
     * Removes a lock whose holder is gone, as after a crash the recovery has dealt with.
     *
     * @return the holder it named, when it removed one
     */
    public static Optional<Holder> removeIfStale(Path file) throws PlanningException {
        try (Guard ignored = Guard.take(file)) {
            Optional<Holder> holder = read(file);
            if (holder.isPresent() && holder.get().alive().equals(Optional.of(false))) {
                AtomicFiles.delete(file);
                return holder;
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new PlanningException("cannot remove the stale lock " + file + ": " + describe(e), e);
        }
    }

    /** Releases the lock, unless someone broke it and another deployer took it since. */
    @Override
    public void close() throws PlanningException {
        if (released) {
            return;
        }
        released = true;
        try (Guard ignored = Guard.take(file)) {
            Optional<String> text = AtomicFiles.read(file);
            if (text.isPresent() && text.get().equals(holder.write())) {
                AtomicFiles.delete(file);
            }
        } catch (IOException e) {
            throw new PlanningException("cannot release the lock " + file + ": " + describe(e), e);
        }
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
    }

    /** This machine's name as lock holders record it, so that a holder's liveness is only judged on its own host. */
    public static String thisHost() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
    }

    /** The lock is held by a live deployer. */
    public static final class LockedException extends PlanningException {
        private static final long serialVersionUID = 1L;
        private final transient Holder holder;

        LockedException(String message, Holder holder) {
            super(message);
            this.holder = holder;
        }

        public Holder holder() {
            return holder;
        }
    }

    /**
     * The brief mutual exclusion around reading and replacing a lock file: a {@link KernelLock} on a guard file
     * beside it, waited for as long as it takes (every holder holds it for a moment only).
     */
    private static final class Guard implements AutoCloseable {
        private final KernelLock lock;

        private Guard(KernelLock lock) {
            this.lock = lock;
        }

        static Guard take(Path lockFile) throws IOException {
            Path guard = lockFile.resolveSibling(lockFile.getFileName() + ".guard");
            try {
                return new Guard(KernelLock.acquire(guard, Optional.empty()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for " + guard);
            } catch (KernelLock.TimedOutException e) {
                throw new IllegalStateException("a lock taken without a time limit timed out (this is a bug)", e);
            }
        }

        @Override
        public void close() {
            lock.close();
        }
    }
}
