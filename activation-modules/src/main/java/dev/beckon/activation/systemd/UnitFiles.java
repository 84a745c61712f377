package dev.beckon.activation.systemd;

import dev.beckon.activation.AtomicFiles;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.ServiceInstance;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The manager's unit directory: the unit files of beckon's instances in it and the {@code .wants}
 * links that bring units back after a reboot. Files only; whether systemd must reload is the caller's.
 */
final class UnitFiles {
    private final Path unitDirectory;
    private final String bootTarget;

    UnitFiles(Path unitDirectory, String bootTarget) {
        this.unitDirectory = unitDirectory;
        this.bootTarget = bootTarget;
    }

    /**
     * Makes a unit come back after a reboot: the link {@code sockets.target.wants/X.socket} (or the
     * boot target's, for an always-on service) that {@code systemctl enable} would make.
     *
     * @return the link when it was made (or, for a unit no longer wanted, removed): whether a reload is due
     */
    Set<String> enable(RenderedFile file) throws IOException {
        Optional<String> wantedBy = wantedBy(file);
        if (wantedBy.isEmpty()) {
            // A link left from settings that wanted it (an always-on version of an on-demand service) goes.
            return removeWantsLinks(file.name()) ? Set.of(file.name()) : Set.of();
        }
        Path wants = unitDirectory.resolve(wantedBy.get() + ".wants");
        Path link = wants.resolve(file.name());
        Path unit = unitDirectory.resolve(file.name());
        if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(unit)) {
            return Set.of();
        }
        dev.beckon.activation.SafeDirectories.ensure(wants);
        Path temporary = wants.resolve("." + file.name() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createSymbolicLink(temporary, unit);
        Files.move(temporary, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return Set.of(wantedBy.get() + ".wants/" + file.name());
    }

    private Optional<String> wantedBy(RenderedFile file) {
        for (String line : file.content().split("\n")) {
            if (line.startsWith("WantedBy=")) {
                return Optional.of(line.substring("WantedBy=".length()));
            }
        }
        return Optional.empty();
    }

    /** Removes a unit's file and the links that want it; returns whether the file was there (a reload is due). */
    boolean removeUnit(String unit) throws IOException {
        removeWantsLinks(unit);
        return AtomicFiles.delete(unitDirectory.resolve(unit));
    }

    /** Removes the links that make a unit wanted at boot; returns whether there was one. */
    private boolean removeWantsLinks(String unit) throws IOException {
        boolean removed = false;
        for (String wants : List.of("sockets.target.wants", bootTarget + ".wants")) {
            Path link = unitDirectory.resolve(wants).resolve(unit);
            if (Files.isSymbolicLink(link)) {
                AtomicFiles.delete(link);
                removed = true;
                // enable() made the directory for the link if it was not there; what is left empty goes with it.
                try {
                    Files.deleteIfExists(link.getParent());
                } catch (java.nio.file.DirectoryNotEmptyException othersWanted) {
                    // Other units are wanted there too.
                }
            }
        }
        return removed;
    }

    /** The unit files of this instance that are in the unit directory now, whatever their settings. */
    Set<String> existingUnits(ServiceInstance instance) throws IOException {
        String base = UnitNames.base(instance);
        Set<String> found = new TreeSet<>();
        if (!Files.isDirectory(unitDirectory)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(unitDirectory, base + "*")) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isUnitOf(base, name) && Files.isRegularFile(entry)) {
                    found.add(name);
                }
            }
        }
        return found;
    }

    /**
     * The unit files of beckon's instances in the unit directory now, the directory read once: for asking about
     * many instances, where reading it once per instance would cost the square of their number.
     */
    Listing listing() throws IOException {
        TreeSet<String> names = new TreeSet<>();
        if (Files.isDirectory(unitDirectory)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(unitDirectory, "beckon-*")) {
                for (Path entry : entries) {
                    if (Files.isRegularFile(entry)) {
                        names.add(entry.getFileName().toString());
                    }
                }
            }
        }
        return new Listing(names);
    }

    /** The regular files named {@code beckon-*} of the unit directory, as {@link #listing} found them. */
    static final class Listing {
        private final TreeSet<String> names;

        private Listing(TreeSet<String> names) {
            this.names = names;
        }

        /** What {@link #existingUnits} would have found for this instance when the directory was read. */
        Set<String> existingUnits(ServiceInstance instance) {
            String base = UnitNames.base(instance);
            Set<String> found = new TreeSet<>();
            for (String name : names.subSet(base, true, base + Character.MAX_VALUE, true)) {
                if (isUnitOf(base, name)) {
                    found.add(name);
                }
            }
            return found;
        }
    }

    /** Whether a file name is one of the units beckon writes for the instance whose names start with {@code base}. */
    private static boolean isUnitOf(String base, String name) {
        return name.equals(base + ".service") || name.equals(base + "@.service") || name.equals(base + ".socket")
                || (name.startsWith(base + "_") && name.endsWith(".socket"));
    }
}
