package dev.beckon.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch of atomic writes: every file replaced in full when the batch ends (its new contents synced together), each
 * directory synced once then.
 */
class DirectorySyncsTest {
    @TempDir
    Path temporary;

    @Test
    void manyFilesInOneDirectoryLeaveThatDirectoryOnceForTheSync() throws Exception {
        Path units = temporary.resolve("units");
        Path other = temporary.resolve("other");
        DirectorySyncs batch = new DirectorySyncs();
        for (int i = 0; i < 20; i++) {
            assertTrue(batch.write(units.resolve("s" + i + ".service"), "[Service]\nExecStart=/bin/s" + i + "\n", AtomicFiles.READABLE));
        }
        assertTrue(batch.write(other.resolve("x.conf"), "x\n", AtomicFiles.READABLE));
        assertEquals(Set.of(units.toAbsolutePath(), other.toAbsolutePath()), batch.pending());
        batch.syncAll();
        assertEquals(Set.of(), batch.pending());
        assertEquals("[Service]\nExecStart=/bin/s7\n", Files.readString(units.resolve("s7.service")));
        assertEquals(AtomicFiles.READABLE, Files.getPosixFilePermissions(units.resolve("s7.service"), LinkOption.NOFOLLOW_LINKS));
        try (Stream<Path> left = Files.list(units)) {
            assertEquals(20, left.count(), "no temporary file is left beside the units");
        }
    }

    @Test
    void aWriteThatChangesNothingLeavesNothingToSync() throws Exception {
        Path unit = temporary.resolve("units/s.service");
        AtomicFiles.write(unit, "same\n", AtomicFiles.READABLE);
        DirectorySyncs batch = new DirectorySyncs();
        assertFalse(batch.write(unit, "same\n", AtomicFiles.READABLE));
        assertEquals(Set.of(), batch.pending());
    }

    @Test
    void aSymbolicLinkInTheFilesPlaceIsReplacedNotWrittenThrough() throws Exception {
        Path units = temporary.resolve("units");
        Files.createDirectories(units);
        Path elsewhere = temporary.resolve("elsewhere");
        Files.writeString(elsewhere, "untouched\n");
        Files.createSymbolicLink(units.resolve("s.service"), elsewhere);
        DirectorySyncs batch = new DirectorySyncs();
        assertTrue(batch.write(units.resolve("s.service"), "new\n", AtomicFiles.READABLE));
        batch.syncAll();
        assertEquals("untouched\n", Files.readString(elsewhere));
        assertFalse(Files.isSymbolicLink(units.resolve("s.service")));
        assertEquals("new\n", Files.readString(units.resolve("s.service")));
    }

    @Test
    void filesKeepTheirOldContentUntilTheBatchEndsAndThenAreAllReplaced() throws Exception {
        Path units = temporary.resolve("units");
        AtomicFiles.write(units.resolve("s0.service"), "old\n", AtomicFiles.READABLE);
        DirectorySyncs batch = new DirectorySyncs();
        for (int i = 0; i < 30; i++) {
            assertTrue(batch.write(units.resolve("s" + i + ".service"), "new " + i + "\n", AtomicFiles.READABLE));
        }
        assertEquals("old\n", Files.readString(units.resolve("s0.service")));
        assertFalse(Files.exists(units.resolve("s1.service")));
        batch.syncAll();
        for (int i = 0; i < 30; i++) {
            assertEquals("new " + i + "\n", Files.readString(units.resolve("s" + i + ".service")));
        }
        try (Stream<Path> left = Files.list(units)) {
            assertEquals(30, left.count(), "no temporary file is left beside the units");
        }
    }

    @Test
    void aFileThatCannotBeReplacedEndsTheBatchAndLeavesNoTemporaryFile() throws Exception {
        Path units = temporary.resolve("units");
        DirectorySyncs batch = new DirectorySyncs();
        assertTrue(batch.write(units.resolve("a.service"), "a\n", AtomicFiles.READABLE));
        assertTrue(batch.write(units.resolve("b.service"), "b\n", AtomicFiles.READABLE));
        assertTrue(batch.write(units.resolve("c.service"), "c\n", AtomicFiles.READABLE));
        // A directory that is not empty cannot be renamed over.
        Files.createDirectories(units.resolve("b.service/in-the-way"));
        assertThrows(java.io.IOException.class, batch::syncAll);
        assertEquals("a\n", Files.readString(units.resolve("a.service")), "what came before the failure is in place, whole");
        assertFalse(Files.exists(units.resolve("c.service")), "what came after it is not");
        try (Stream<Path> left = Files.list(units)) {
            assertEquals(List.of("a.service", "b.service"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file is left");
        }
        assertEquals(Set.of(), batch.pending());
    }
}
