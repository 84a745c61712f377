package dev.beckon.planner;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The lock a deployment holds on a target's state directory. It says who holds it and since when, so
 * a second deployer can tell the operator whom to ask.
 */
final class TargetLock implements AutoCloseable {
    private final Path file;
    private boolean released;

    private TargetLock(Path file) {
        this.file = file;
    }

    /**
     * Takes the lock, or fails at once naming its holder.
     *
     * @throws PlanningException when another deployment holds it, or the state directory cannot be written
     */
    static TargetLock acquire(String target, Path stateDirectory, String profile) throws PlanningException {
        Path file = stateDirectory.resolve("lock");
        String holder = "user=" + System.getProperty("user.name") + " host=" + hostName() + " pid=" + ProcessHandle.current().pid()
                + " profile=" + profile + " since=" + Instant.now() + "\n";
        try {
            Files.createDirectories(stateDirectory);
            Files.writeString(file, holder, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
            return new TargetLock(file);
        } catch (FileAlreadyExistsException e) {
            String current;
            try {
                current = Files.readString(file).strip();
            } catch (IOException unreadable) {
                current = "(unreadable: " + unreadable.getMessage() + ")";
            }
            throw new PlanningException("target " + target + " is locked by another deployment: " + current + " (" + file + ")");
        } catch (IOException e) {
            throw new PlanningException("target " + target + ": cannot take the lock " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (!released) {
            released = true;
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new IllegalStateException("cannot release the lock " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Keeps the lock after this process ends: the targets are in between and need a person. */
    void keep() {
        released = true;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
