package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.AgentRun;
import io.agentmesh.node.actions.JournalOp.Claim;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentRunJournalTest {
    private final ActionJournal journal = new ActionJournal(100);
    private long index;

    private Object apply(JournalOp op) {
        return journal.runOperation(++index, op);
    }

    @Test
    void anAgentRunsFenceIsItsTermAndCommitIndexAndNamesTheRunBefore() {
        assertTrue(journal.agentFence().isEmpty());
        apply(new Claim("i1", "job", "a", 3));
        AgentRunResult.Started first = assertInstanceOf(AgentRunResult.Started.class, apply(new AgentRun("a", 3, 500)));
        assertEquals(new AgentFence("a", new FencingToken(3, 2), 500), first.fence());
        assertTrue(first.previous().isEmpty());
        AgentRunResult.Started second = assertInstanceOf(AgentRunResult.Started.class,
                apply(new AgentRun("b", 4, 1_000)));
        assertEquals(new FencingToken(4, 3), second.fence().token());
        assertEquals(first.fence(), second.previousOrNull());
        assertEquals(second.fence(), journal.agentFence().orElseThrow());
        assertEquals("4.3", second.fence().tokenText());
    }

    @Test
    void aRunOfAnOlderTermIsRefusedAndChangesNothing() {
        apply(new AgentRun("b", 5, 500));
        AgentFence current = journal.agentFence().orElseThrow();
        AgentRunResult.Refused r = assertInstanceOf(AgentRunResult.Refused.class, apply(new AgentRun("a", 4, 500)));
        assertEquals(current, r.current());
        assertEquals(current, journal.agentFence().orElseThrow());
        // The same term again (a restart after a crash) is a new run with a newer index.
        AgentRunResult.Started again = assertInstanceOf(AgentRunResult.Started.class, apply(new AgentRun("b", 5, 500)));
        assertTrue(again.fence().token().compareTo(current.token()) > 0);
    }

    @Test
    void theFenceSurvivesASnapshotAndAnOldSnapshotWithoutOneReadsAsNone() {
        apply(new Claim("i1", "job", "a", 3));
        apply(new AgentRun("a", 3, 700));
        List<Object> chunks = new ArrayList<>();
        journal.takeSnapshot(index, chunks::add);
        ActionJournal restored = new ActionJournal(100);
        restored.runOperation(1, new AgentRun("z", 1, 0)); // replaced by the snapshot
        restored.installSnapshot(index, chunks);
        assertEquals(journal.agentFence(), restored.agentFence());
        assertEquals(1, restored.entries().size());

        ActionJournal old = new ActionJournal(100);
        old.runOperation(1, new AgentRun("z", 1, 0));
        old.installSnapshot(5, List.of(new JournalSnapshotChunk(List.of(), List.of())));
        assertTrue(old.agentFence().isEmpty());
    }

    @Test
    void aSnapshotWithTwoFencesIsRefusedAndTheJournalStaysAsItWas() {
        apply(new Claim("i1", "job", "a", 3));
        apply(new AgentRun("a", 3, 700));
        AgentFence before = journal.agentFence().orElseThrow();
        AgentFenceSnapshot f = new AgentFenceSnapshot(new AgentFence("b", new FencingToken(9, 9), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> journal.installSnapshot(50, List.of(new JournalSnapshotChunk(List.of(), List.of()), f, f)));
        assertTrue(e.getMessage().contains("one agent fence"), e.getMessage());
        assertEquals(before, journal.agentFence().orElseThrow());
        assertEquals(1, journal.entries().size());
    }

    @Test
    void agentRunsAreValidatedOnConstruction() {
        assertThrows(IllegalArgumentException.class, () -> new AgentRun("", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new AgentRun("a", -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new AgentRun("a", 1, -1));
        assertThrows(IllegalArgumentException.class, () -> new AgentRun("a", 1, AgentRun.MAX_STOP_GRACE_MS + 1));
        assertThrows(IllegalArgumentException.class, () -> new AgentRun("x".repeat(JournalOp.MAX_NODE_ID_CHARS + 1),
                1, 0));
    }

    @Test
    void fenceTextRoundTripsAndBadTextIsRefusedWithTheReason() {
        FencingToken t = new FencingToken(7, 1042);
        assertEquals("7.1042", AgentFence.text(t));
        assertEquals(t, AgentFence.parseToken("7.1042"));
        for (String bad : new String[] {"", "7", "7.", ".7", "7.1.2", "-7.1", "7.-1", "7.0", " 7.1", "a.b", "7,1",
                "99999999999999999999.1", "1".repeat(40)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentFence.parseToken(bad),
                    "'" + bad + "'");
            assertTrue(e.getMessage().contains("fence"), e.getMessage());
        }
    }
}
