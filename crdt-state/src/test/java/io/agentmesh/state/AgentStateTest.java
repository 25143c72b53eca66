package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.OTHER_AGENT;
import static io.agentmesh.state.Fixtures.T0;
import static io.agentmesh.state.Fixtures.memory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentStateTest {
    private AgentState state;

    @BeforeEach
    void setUp() {
        state = AgentState.create(AGENT, A);
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    @Test
    void eachWriteIsOneChangeByThisActorWithTheNextSeq() {
        List<LocalChange> changes = new ArrayList<>();
        changes.add(state.appendMemory(memory(1)));
        changes.add(state.replaceNotes("notes").orElseThrow());
        changes.add(state.upsertTask(new Task("t1", "Write tests", Task.Status.TODO, T0, null)));
        changes.add(state.addSchedule(new Schedule("s1", "0 9 * * *", "Europe/Berlin", "llm.chat", "{}", "skip", T0)));
        changes.add(state.requestIntent(new Intent("i1", "llm.chat", "{\"q\":1}", "node-1", T0)));
        changes.add(state.recordOutcome(new Outcome("i1", "succeeded", "ok", "node-1", 3, 17, T0 + 5)));
        changes.add(state.incrementCost("llm.tokens", 120));
        for (int i = 0; i < changes.size(); i++) {
            LocalChange c = changes.get(i);
            assertEquals(i + 1, c.seq());
            ChangeHeader h = ChangeHeader.parse(c.changeBytes());
            assertArrayEquals(A.bytes(), h.actor(), "author");
            assertEquals(c.seq(), h.seq(), "the seq in the bytes");
        }
    }

    @Test
    void memoryEntriesReadBackInAppendOrder() {
        MemoryEntry first = new MemoryEntry("m-1", T0, "node-1", "observation", "It rained.", List.of("weather"));
        MemoryEntry second = new MemoryEntry("m-2", T0 + 1, "user", "chat", "Hi 😀 — ça va?", List.of());
        state.appendMemory(first);
        state.appendMemory(second);
        assertEquals(List.of(first, second), state.memory());
        assertEquals(2, state.memoryCount());
        assertEquals(List.of(second), state.memory(1, 10));
        assertEquals(List.of(second), state.memorySince(T0 + 1));
    }

    @Test
    void timesUpToJavaScriptsSafeIntegerSurviveExactly() {
        long big = Limits.MAX_NUMBER;
        state.appendMemory(new MemoryEntry("m", big, "a", "k", "t", List.of()));
        state.recordOutcome(new Outcome("i", "succeeded", "", "n", big, big - 1, big));
        assertEquals(big, state.memory().get(0).timeMillis());
        Outcome o = state.outcome("i").orElseThrow();
        assertEquals(big, o.term());
        assertEquals(big - 1, o.index());
        byte[] saved = state.save();
        try (AgentState loaded = AgentState.load(AGENT, saved, B)) {
            assertEquals(big, loaded.memory().get(0).timeMillis());
        }
    }

    @Test
    void notesEditsCountUtf16CharsLikeJavaStrings() {
        state.replaceNotes("a😀b");
        state.editNotes(3, 0, "X");
        assertEquals("a😀Xb", state.notes());
        state.editNotes(0, 1, "");
        assertEquals("😀Xb", state.notes());
        assertThrows(IllegalArgumentException.class, () -> state.editNotes(1, 0, "split"), "inside a surrogate pair");
        assertThrows(IllegalArgumentException.class, () -> state.editNotes(5, 0, "x"));
        assertThrows(IllegalArgumentException.class, () -> state.editNotes(0, 9, ""));
        assertTrue(state.editNotes(2, 0, "").isEmpty(), "nothing to change, no change");
    }

    @Test
    void replaceNotesSplicesOnlyTheDifferenceSoConcurrentEditsMerge() {
        byte[] first = state.replaceNotes("The quick fox.\nSecond line.").orElseThrow().changeBytes();
        try (AgentState peer = AgentState.create(AGENT, B)) {
            peer.applyChange(first);
            byte[] mine = state.replaceNotes("The quick brown fox.\nSecond line.").orElseThrow().changeBytes();
            byte[] theirs = peer.replaceNotes("The quick fox.\nSecond line, edited.").orElseThrow().changeBytes();
            state.applyChange(theirs);
            peer.applyChange(mine);
            assertEquals("The quick brown fox.\nSecond line, edited.", state.notes());
            assertEquals(state.notes(), peer.notes());
        }
        assertTrue(state.replaceNotes(state.notes()).isEmpty());
    }

    @Test
    void tasksAreUpsertedByIdAndDetailCanBeCleared() {
        state.upsertTask(new Task("t1", "Draft", Task.Status.TODO, T0, "first"));
        state.upsertTask(new Task("t2", "Other", Task.Status.DOING, T0, null));
        state.upsertTask(new Task("t1", "Draft v2", Task.Status.DONE, T0 + 1, null));
        assertEquals(List.of(new Task("t1", "Draft v2", Task.Status.DONE, T0 + 1, null),
                new Task("t2", "Other", Task.Status.DOING, T0, null)), state.tasks());
        assertEquals("Other", state.task("t2").orElseThrow().title());
    }

    @Test
    void schedulesAreReplacedWholeAndCanBeRemoved() {
        state.addSchedule(new Schedule("s1", "0 9 * * *", "UTC", "llm.chat", "{\"a\":1}", "skip", T0));
        Schedule replaced = new Schedule("s1", "0 10 * * *", "Europe/Berlin", "llm.chat", "{}", "once", T0 + 1);
        state.addSchedule(replaced);
        assertEquals(List.of(replaced), state.schedules());
        state.removeSchedule("s1");
        assertEquals(List.of(), state.schedules());
        assertThrows(IllegalArgumentException.class, () -> state.removeSchedule("s1"));
    }

    @Test
    void intentsArePendingUntilTheirOutcomeIsRecorded() {
        state.requestIntent(new Intent("i2", "wallet.pay", "{}", "node-2", T0 + 2));
        state.requestIntent(new Intent("i1", "llm.chat", "{}", "node-1", T0 + 1));
        assertEquals(List.of("i1", "i2"), state.pendingIntents().stream().map(Intent::id).toList());
        state.recordOutcome(new Outcome("i1", "succeeded", "{\"answer\":42}", "node-1", 2, 9, T0 + 3));
        assertEquals(List.of("i2"), state.pendingIntents().stream().map(Intent::id).toList());
        assertEquals(2, state.intents().size());
        assertEquals(List.of(new Outcome("i1", "succeeded", "{\"answer\":42}", "node-1", 2, 9, T0 + 3)),
                state.outcomes());
        assertThrows(IllegalArgumentException.class,
                () -> state.requestIntent(new Intent("i1", "llm.chat", "{}", "node-1", T0)), "ids name one request");
    }

    @Test
    void uncertainIsAnOutcomeStatusOfItsOwnAndAnOlderVersionsFailedUncertainReadsAsUncertain() {
        state.recordOutcome(new Outcome("i1", "uncertain", "the leader died after starting it", "n1", 2, 9, T0));
        // What versions before the status existed wrote for the same situation.
        state.recordOutcome(new Outcome("i2", "failed", "uncertain: the previous leader started this job and died"
                + " before reporting; not run again (at most once)", "n2", 3, 12, T0));
        state.recordOutcome(new Outcome("i3", "failed", "could not record the job: disk full", "n2", 3, 14, T0));
        assertEquals(List.of("uncertain", "uncertain", "failed"),
                state.outcomes().stream().map(Outcome::status).toList());
        assertTrue(state.outcome("i2").orElseThrow().isUncertain());
        try (AgentState loaded = AgentState.load(AGENT, state.save(), B)) {
            assertEquals("uncertain", loaded.outcome("i2").orElseThrow().status(), "after a reload too");
        }
    }

    @Test
    void costCountersSumOverNodesWithoutLosingConcurrentFirstIncrements() {
        try (AgentState peer = AgentState.create(AGENT, B)) {
            byte[] mine = state.incrementCost("llm.tokens", 100).changeBytes();
            byte[] theirs = peer.incrementCost("llm.tokens", 7).changeBytes();
            state.incrementCost("llm.tokens", 1);
            state.applyChange(theirs);
            peer.applyChange(mine);
            assertEquals(Map.of("llm.tokens", 108L), state.costs());
            assertEquals(Map.of("llm.tokens", 107L), peer.costs());
        }
        assertThrows(IllegalArgumentException.class, () -> state.incrementCost("x", 0));
    }

    @Test
    void saveAndLoadKeepEverythingAndWritingContinuesWithTheNextSeq() {
        state.appendMemory(memory(1));
        state.replaceNotes("n");
        state.incrementCost("c", 2);
        StateView before = state.view();
        byte[] saved = state.save();
        try (AgentState loaded = AgentState.load(AGENT, saved, A)) {
            assertEquals(before, loaded.view());
            assertEquals(state.heads(), loaded.heads());
            assertEquals(4, loaded.appendMemory(memory(2)).seq());
        }
    }

    @Test
    void loadRefusesAnotherAgentsDocument() {
        try (AgentState other = AgentState.create(OTHER_AGENT, A)) {
            StateException e = assertThrows(StateException.class, () -> AgentState.load(AGENT, other.save(), B));
            assertEquals(StateException.Reason.WRONG_DOCUMENT, e.reason());
            assertTrue(e.getMessage().contains("belongs to agent"), e.getMessage());
        }
    }

    @Test
    void loadRefusesGarbageAndTruncatedAndForeignAutomergeDocuments() {
        byte[] saved = state.save();
        assertEquals(StateException.Reason.MALFORMED,
                assertThrows(StateException.class, () -> AgentState.load(AGENT, "hello".getBytes(), B)).reason());
        assertThrows(StateException.class, () -> AgentState.load(AGENT, Arrays.copyOf(saved, saved.length - 3), B));
        byte[] flipped = saved.clone();
        flipped[flipped.length / 2] ^= 0x10;
        assertEquals(StateException.Reason.BAD_CHECKSUM,
                assertThrows(StateException.class, () -> AgentState.load(AGENT, flipped, B)).reason());
        org.automerge.Document plain = new org.automerge.Document();
        try (org.automerge.Transaction tx = plain.startTransaction()) {
            tx.set(org.automerge.ObjectId.ROOT, "hello", "world");
            tx.commit();
        }
        StateException e = assertThrows(StateException.class, () -> AgentState.load(AGENT, plain.save(), B));
        assertEquals(StateException.Reason.WRONG_DOCUMENT, e.reason());
        assertTrue(e.getMessage().contains("'meta'"), e.getMessage());
        plain.free();
    }

    @Test
    void invalidInputIsRefusedWithTheFieldNamedAndChangesNothing() {
        state.appendMemory(memory(0));
        List<String> heads = state.heads();
        String big = "x".repeat(Limits.MAX_MEMORY_TEXT_BYTES + 1);
        List<Executable> bad = List.of(
                () -> state.appendMemory(null),
                () -> state.appendMemory(new MemoryEntry("", T0, "a", "k", "t", List.of())),
                () -> state.appendMemory(new MemoryEntry("i".repeat(Limits.MAX_ID_LENGTH + 1), T0, "a", "k", "t",
                        List.of())),
                () -> state.appendMemory(new MemoryEntry("id\n", T0, "a", "k", "t", List.of())),
                () -> state.appendMemory(new MemoryEntry("id", -1, "a", "k", "t", List.of())),
                () -> state.appendMemory(new MemoryEntry("id", Limits.MAX_NUMBER + 1, "a", "k", "t", List.of())),
                () -> state.appendMemory(new MemoryEntry("id", T0, "", "k", "t", List.of())),
                () -> state.appendMemory(new MemoryEntry("id", T0, "a", "k", big, List.of())),
                () -> state.appendMemory(new MemoryEntry("id", T0, "a", "k", "lone \uD800 surrogate", List.of())),
                () -> state.appendMemory(new MemoryEntry("id", T0, "a", "k", "t",
                        Collections.nCopies(Limits.MAX_TAGS + 1, "t"))),
                () -> state.appendMemory(new MemoryEntry("id", T0, "a", "k", "t", List.of(""))),
                () -> state.replaceNotes("é".repeat(Limits.MAX_NOTES_BYTES / 2 + 1)),
                () -> state.upsertTask(new Task("t", "", Task.Status.TODO, T0, null)),
                () -> state.upsertTask(new Task("t", "title", null, T0, null)),
                () -> state.addSchedule(new Schedule("s", "* * * * *", "Mars/Olympus", "k", "{}", "skip", T0)),
                () -> state.addSchedule(new Schedule("s", "* * * * *", "UTC", "k",
                        "x".repeat(Limits.MAX_PAYLOAD_BYTES + 1), "skip", T0)),
                () -> state.requestIntent(new Intent("i", "", "{}", "n", T0)),
                () -> state.recordOutcome(new Outcome("i", "succeeded", "r", "n", -1, 0, T0)),
                () -> state.recordOutcome(new Outcome("i", "done", "r", "n", 1, 1, T0)),
                () -> state.recordOutcome(new Outcome("i", "Uncertain", "r", "n", 1, 1, T0)),
                () -> state.incrementCost("", 1));
        for (Executable e : bad) {
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, e);
            assertFalse(thrown.getMessage().isBlank());
        }
        assertEquals(heads, state.heads(), "no refused write changed the document");
        assertEquals(2, state.appendMemory(memory(1)).seq(), "and no seq was used up");
    }

    @Test
    void closedStateRefusesUse() {
        state.close();
        assertThrows(IllegalStateException.class, () -> state.memory());
        assertThrows(IllegalStateException.class, () -> state.appendMemory(memory(1)));
        state.close();
    }
}
