package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalResult;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.llm.ledger.LlmLedger;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A server's state machine routes each operation to its half, and snapshots carry both halves or change nothing. */
class JournalAndLedgerTest {
    private static final Target GPT = new Target("openai", "gpt-4o");

    private final ActionJournal journal = new ActionJournal(100);
    private final LlmLedger ledger = new LlmLedger();
    private final JournalAndLedger machine = new JournalAndLedger(journal, ledger);

    private void fill() {
        assertInstanceOf(JournalResult.Claimed.class, machine.runOperation(1, new Claim("intent-1", "job", "n", 1)));
        assertInstanceOf(LedgerResult.Opened.class, machine.runOperation(2, new LedgerOp.Open("call-1", "n", 1,
                LedgerOp.Origin.INTENT, 5)));
        assertInstanceOf(LedgerResult.Started.class, machine.runOperation(3, new LedgerOp.AttemptStart("call-1",
                new FencingToken(1, 2), 1, GPT, 40, List.of(), 5)));
    }

    @Test
    void journalOperationsGoToTheJournalAndLedgerOperationsToTheLedger() {
        fill();
        assertTrue(journal.entry("intent-1").isPresent());
        assertEquals(1, ledger.openCalls().size());
        assertEquals(40, ledger.reservedNanoUsd());
        assertEquals(3, ledger.lastApplied());
    }

    @Test
    void aSnapshotCarriesBothHalvesThroughTheCodecIntoAnotherMember() {
        fill();
        List<Object> chunks = new ArrayList<>();
        machine.takeSnapshot(3, chunks::add);
        assertTrue(chunks.stream().anyMatch(LedgerSnapshotChunk.class::isInstance));
        assertTrue(chunks.stream().anyMatch(JournalSnapshotChunk.class::isInstance));
        RaftCodec codec = new RaftCodec();
        List<Object> decoded = chunks.stream().map(c -> codec.decodeOperation(codec.encodeOperation(c))).toList();
        ActionJournal otherJournal = new ActionJournal(100);
        LlmLedger otherLedger = new LlmLedger();
        new JournalAndLedger(otherJournal, otherLedger).installSnapshot(3, decoded);
        assertEquals(journal.entries(), otherJournal.entries());
        assertEquals(ledger.openCalls(), otherLedger.openCalls());
        assertEquals(ledger.spend(), otherLedger.spend());
        assertEquals(40, otherLedger.reservedNanoUsd());
    }

    @Test
    void aBadChunkOfEitherHalfLeavesBothHalvesAsTheyWere() {
        fill();
        List<Object> good = new ArrayList<>();
        machine.takeSnapshot(3, good::add);
        ActionJournal otherJournal = new ActionJournal(100);
        LlmLedger otherLedger = new LlmLedger();
        JournalAndLedger other = new JournalAndLedger(otherJournal, otherLedger);
        other.runOperation(1, new Claim("mine", "job", "m", 1));
        other.runOperation(2, new LedgerOp.Open("my-call", "m", 1, LedgerOp.Origin.ENDPOINT, 5));

        List<Object> badJournal = new ArrayList<>(good);
        badJournal.add("not a chunk");
        assertThrows(IllegalArgumentException.class, () -> other.installSnapshot(3, badJournal));
        List<Object> badLedger = new ArrayList<>(good);
        badLedger.addAll(good.stream().filter(LedgerSnapshotChunk.class::isInstance).toList()); // every call twice
        assertThrows(IllegalArgumentException.class, () -> other.installSnapshot(3, badLedger));

        assertEquals(List.of("mine"), otherJournal.entries().stream().map(e -> e.intentId()).toList());
        assertEquals(List.of("my-call"), otherLedger.openCalls().stream().map(c -> c.callId()).toList());
    }
}
