package dev.beckon.planner.generations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.deploy.SharedLocks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two operators, each with their own profile repository (two homes), sharing one bare repository by path, through
 * real JGit transports: nothing of one is lost by the other, a diverged history is refused, and the shared lock
 * admits one holder.
 */
class SharedProfileTest {
    @TempDir
    Path directory;

    private Generations operator(String name) {
        Generations generations = Generations.open(directory.resolve(name).resolve("profiles/default"), "default");
        generations.shared().setRemote(directory.resolve("shared.git").toString());
        return generations;
    }

    private static byte[] manifest(String text) {
        return ("{\"generation\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<Integer> numbers(Generations generations) {
        return generations.list().stream().map(Generation::number).toList();
    }

    private static int current(Generations generations) {
        return generations.current().orElseThrow().number();
    }

    @Test
    void twoOperatorsTakeTurnsWithoutLosingAGenerationAndARollbackTravelsToo() {
        try (Generations alice = operator("alice"); Generations bob = operator("bob")) {
            alice.record(manifest("one"), Map.of(), "alice", "first");
            assertEquals(SharedProfile.Relation.UPDATED, alice.shared().push(), "the push makes the shared repository");

            assertEquals(SharedProfile.Relation.UPDATED, bob.shared().pull(false));
            assertEquals(List.of(1), numbers(bob));
            bob.record(manifest("two"), Map.of(), "bob", "second");
            assertEquals(SharedProfile.Relation.AHEAD, bob.shared().pull(false), "a pull keeps what is only here");
            assertEquals(SharedProfile.Relation.UPDATED, bob.shared().push());

            assertEquals(SharedProfile.Relation.BEHIND, alice.shared().push(), "a push refuses to go back");
            assertEquals(SharedProfile.Relation.UPDATED, alice.shared().pull(false));
            assertEquals(List.of(1, 2), numbers(alice));
            assertEquals(2, current(alice));
            assertArrayEquals(manifest("two"), alice.manifest(2));
            assertEquals(3, alice.record(manifest("three"), Map.of(), "alice", "third").number(), "numbering goes on past the pulled ones");

            alice.makeCurrent(2);
            alice.delete(1);
            assertEquals(SharedProfile.Relation.UPDATED, alice.shared().push());
            assertEquals(SharedProfile.Relation.UPDATED, bob.shared().pull(false));
            assertEquals(List.of(2, 3), numbers(bob), "a dropped generation is dropped there too");
            assertEquals(2, current(bob), "the rolled-back-to generation is current there too");
            assertEquals(SharedProfile.Relation.IN_SYNC, bob.shared().pull(false));
            assertEquals(SharedProfile.Relation.IN_SYNC, bob.shared().push());
        }
    }

    @Test
    void aDivergedHistoryIsRefusedBothWaysInOneLineAndForceKeepsTheDiscardedOne() throws Exception {
        try (Generations alice = operator("alice"); Generations bob = operator("bob")) {
            alice.record(manifest("one"), Map.of(), "alice", null);
            alice.shared().push();
            bob.shared().pull(false);
            alice.record(manifest("alice's two"), Map.of(), "alice", null);
            alice.shared().push();
            bob.record(manifest("bob's two"), Map.of(), "bob", null);

            GenerationsException push = assertThrows(GenerationsException.class, () -> bob.shared().push());
            GenerationsException pull = assertThrows(GenerationsException.class, () -> bob.shared().pull(false));
            for (GenerationsException refused : List.of(push, pull)) {
                assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
                assertTrue(refused.getMessage().contains("diverged") && refused.getMessage().contains("after generation 1")
                        && refused.getMessage().contains("beckon profile pull --force"), refused.getMessage());
            }
            assertArrayEquals(manifest("bob's two"), bob.manifest(2), "a refused pull changes nothing");

            assertEquals(SharedProfile.Relation.UPDATED, bob.shared().pull(true));
            assertArrayEquals(manifest("alice's two"), bob.manifest(2));
            try (Repository repository = new FileRepositoryBuilder().setGitDir(bob.directory().toFile()).build()) {
                List<String> kept = new ArrayList<>();
                repository.getRefDatabase().getRefsByPrefix(SharedProfile.DIVERGED_PREFIX).forEach(ref -> kept.add(ref.getName()));
                assertEquals(1, kept.size(), "bob's own history is kept under " + SharedProfile.DIVERGED_PREFIX);
            }
        }
    }

    @Test
    void theSharedLockAdmitsOneOperatorAndAStaleOneIsTakenOver() {
        try (Generations alice = operator("alice"); Generations bob = operator("bob")) {
            List<String> notices = new ArrayList<>();
            SharedProfile.Held held = SharedLocks.take(alice.shared(), "default", "deploy", notices::add);
            GenerationsException locked = assertThrows(GenerationsException.class,
                    () -> SharedLocks.take(bob.shared(), "default", "deploy", notices::add));
            assertTrue(locked.getMessage().contains("locked by beckon deploy by") && locked.getMessage().contains("pid "
                    + ProcessHandle.current().pid()) && locked.getMessage().contains("beckon profile unlock --force"), locked.getMessage());
            held.close();
            SharedLocks.take(bob.shared(), "default", "gc", notices::add).close();
            assertTrue(notices.isEmpty(), notices.toString());

            // A holder of this host that is gone: the line a deployer killed with its lock held leaves behind.
            String gone = "user=carol host=" + dev.beckon.planner.state.DeploymentLock.thisHost() + " pid=" + deadPid()
                    + " started=- profile=default command=deploy since=2026-01-01T00:00:00Z";
            alice.shared().lock(gone, SharedLocks::describe, line -> false, notices::add);
            SharedProfile.Held takenOver = SharedLocks.take(bob.shared(), "default", "deploy", notices::add);
            assertEquals(1, notices.size(), notices.toString());
            assertTrue(notices.get(0).contains("carol") && notices.get(0).contains("taking it over"), notices.get(0));
            takenOver.close();
            assertEquals(java.util.Optional.empty(), bob.shared().breakLock(), "released");
        }
    }

    private static long deadPid() {
        try {
            Process process = new ProcessBuilder("true").start();
            process.waitFor();
            return process.pid();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
