package dev.beckon.planner.state;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.plan.PlanningException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IntentJournalTest {
    @TempDir
    Path dir;

    private IntentJournal.Intent intent() {
        return new IntentJournal.Intent(IntentJournal.FORMAT_VERSION, IntentJournal.Kind.DEPLOY, "default", 3, null,
                Manifest.empty("default"), Manifest.empty("default"), Map.of("services.toml", "[services]\n".getBytes(StandardCharsets.UTF_8)),
                "alice", "why", List.of("copy packages", "activate a@local", "reload"), 42, "2026-11-26T22:00:00Z");
    }

    @Test
    void readsBackWhatWasMeantAndHowFarItGot() throws Exception {
        try (IntentJournal journal = IntentJournal.begin(dir, intent(), Map.of())) {
            assertEquals(0, IntentJournal.find(dir).orElseThrow().stepsDone());
            journal.stepDone("activate a@local");
            journal.stepDone("copy packages");
            assertThrows(IllegalStateException.class, () -> journal.stepDone("activate b@local"));
            assertThrows(IllegalStateException.class, () -> journal.stepDone("copy packages"));
        }
        IntentJournal.Found found = IntentJournal.find(dir).orElseThrow();
        assertEquals(2, found.stepsDone());
        assertFalse(found.everyStepDone());
        assertEquals(intent().to(), found.intent().to());
        assertEquals("[services]\n", new String(found.intent().models().get("services.toml"), StandardCharsets.UTF_8));
        assertEquals("deployment (from generation 3)", found.intent().describe());
        PlanningException second = assertThrows(PlanningException.class, () -> IntentJournal.begin(dir, intent(), Map.of()));
        assertTrue(second.getMessage().startsWith("the journal of an earlier deployment is still in "), second.getMessage());
        IntentJournal.remove(dir);
        assertTrue(IntentJournal.find(dir).isEmpty());
    }

    @Test
    void aLineTornByACrashDoesNotCountAsDone() throws Exception {
        try (IntentJournal journal = IntentJournal.begin(dir, intent(), Map.of())) {
            journal.stepDone("copy packages");
        }
        Files.writeString(dir.resolve(IntentJournal.DONE_FILE), "2 activate a@lo", StandardOpenOption.APPEND);
        assertEquals(1, IntentJournal.find(dir).orElseThrow().stepsDone());
    }

    @Test
    void aDamagedJournalSaysWhatToDo() throws Exception {
        Files.writeString(dir.resolve(IntentJournal.INTENT_FILE), "{\"format\": 1, \"kind\": ");
        PlanningException damaged = assertThrows(PlanningException.class, () -> IntentJournal.find(dir));
        assertTrue(damaged.getMessage().startsWith("the deployment journal " + dir.resolve("intent.json") + " is damaged ("),
                damaged.getMessage());
        assertTrue(damaged.getMessage().endsWith("`rm " + dir.resolve("intent.json") + "`, then `beckon status` shows what they run, and `beckon deploy` or "
                + "`beckon rollback` puts them right"), damaged.getMessage());
    }
}
