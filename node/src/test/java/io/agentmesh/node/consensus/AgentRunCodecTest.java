package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.AgentFenceSnapshot;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalOp.AgentRun;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.SnapshotChunk;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.agentmesh.node.consensus.OperationCodecChecks.operation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent run's journal entry and the snapshot's agent fence: strict bytes, and a witness takes both in stride. */
class AgentRunCodecTest {
    private static final RaftCodec CODEC = RaftCodecTest.CODEC;
    private static final AgentFence FENCE = new AgentFence("node-a", new FencingToken(7, 1042), 500);

    @Test
    void anAgentRunRoundTripsInALogEntryAndTheFenceInASnapshotChunk() {
        AgentRun run = new AgentRun("node-a", 7, 500);
        assertEquals(run, CODEC.decodeOperation(CODEC.encodeOperation(run)));
        LogEntry e = RaftCodecTest.F.createLogEntryBuilder().setIndex(1042).setTerm(7).setOperation(run).build();
        assertEquals(run, CODEC.decodeLogEntry(CODEC.encodeLogEntry(e)).getOperation());
        AgentFenceSnapshot f = new AgentFenceSnapshot(FENCE);
        assertEquals(f, CODEC.decodeOperation(CODEC.encodeOperation(f)));
        SnapshotChunk c = OperationCodecChecks.snapshotChunk(2000, 7, 1, 2, f);
        assertEquals(f, CODEC.decodeSnapshotChunk(CODEC.encodeSnapshotChunk(c)).getOperation());
    }

    @Test
    void everyTruncationAndTrailingByteIsRefused() {
        OperationCodecChecks.assertEveryTruncationAndTrailingByteIsRefused(
                List.of(new AgentRun("node-a", 7, 500), new AgentFenceSnapshot(FENCE)));
    }

    @Test
    void fencedClaimsCarryingRunsAndCarriedListsRoundTripAndEveryTruncationIsRefused() {
        List<Object> ops = List.of(
                Claim.fenced("intent-1", "exec", "node-a", 7, new FencingToken(6, 2000), 1_764_000_000_000L),
                AgentRun.superseding("node-a", 7, 500, new FencingToken(6, 2000), List.of("a", "b")),
                AgentRun.superseding("node-a", 7, 500, null, List.of()),
                new io.agentmesh.node.actions.AdmittedIntentsSnapshot(List.of("b", "a")));
        for (Object op : ops) {
            assertEquals(op, CODEC.decodeOperation(CODEC.encodeOperation(op)));
        }
        OperationCodecChecks.assertEveryTruncationAndTrailingByteIsRefused(ops);
        // Unfenced claims and runs as written before carried lists keep their old bytes.
        assertEquals(RaftCodec.OP_CLAIM, CODEC.encodeOperation(new Claim("i", "job", "n", 1))[2]);
        assertEquals(RaftCodec.OP_AGENT_RUN, CODEC.encodeOperation(new AgentRun("n", 1, 0))[2]);
    }

    @Test
    void aCarryingRunWithUnsortedIdsIsRefusedAsBadBytes() {
        byte[] bytes = operation(RaftCodec.OP_AGENT_RUN_CARRYING, w -> w.text32("node-a").i64(7).i64(500)
                .bool(false).i32(2).text32("b").text32("a"));
        assertThrows(CodecException.class, () -> CODEC.decodeOperation(bytes));
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheReason() {
        RaftCodecTest.assertMessage("stop grace ms", () -> CODEC.decodeOperation(operation(RaftCodec.OP_AGENT_RUN,
                w -> w.text32("node-a").i64(7).i64(-1))));
        RaftCodecTest.assertMessage("stopGraceMs must be 0..60000", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_AGENT_RUN, w -> w.text32("node-a").i64(7).i64(60_001))));
        RaftCodecTest.assertMessage("agent run term", () -> CODEC.decodeOperation(operation(RaftCodec.OP_AGENT_RUN,
                w -> w.text32("node-a").i64(-7).i64(0))));
        RaftCodecTest.assertMessage("nodeId", () -> CODEC.decodeOperation(operation(RaftCodec.OP_AGENT_RUN,
                w -> w.text32("").i64(7).i64(0))));
        RaftCodecTest.assertMessage("fencing token", () -> CODEC.decodeOperation(operation(
                RaftCodec.OP_AGENT_FENCE_SNAPSHOT, w -> w.text32("node-a").i64(7).i64(0).i64(0))));
    }

    @Test
    void anAgentRunIsNoSnapshotChunkAndTheFenceIsNoLogEntry() {
        OperationCodecChecks.assertNoLogEntryNorSnapshotChunk(new AgentFenceSnapshot(FENCE), null);
    }

    @Test
    void aWitnessAppliesAgentRunsAndInstallsALeadersSnapshotWithAFenceKeepingOnlyItsCount() {
        WitnessStateMachine w = new WitnessStateMachine();
        assertNull(w.runOperation(1, new AgentRun("node-a", 1, 500)));
        assertEquals(1, w.operationsApplied());
        ActionJournal journal = new ActionJournal(10);
        journal.runOperation(1, new Claim("i", "job", "node-a", 1));
        journal.runOperation(2, new AgentRun("node-a", 1, 500));
        List<Object> chunks = new ArrayList<>();
        journal.takeSnapshot(2, chunks::add);
        assertTrue(chunks.stream().anyMatch(AgentFenceSnapshot.class::isInstance));
        assertTrue(chunks.stream().anyMatch(JournalSnapshotChunk.class::isInstance));
        // Every chunk encodes (the witness stores what it installs through the same codec).
        chunks.forEach(c -> assertEquals(c, CODEC.decodeOperation(CODEC.encodeOperation(c))));
        w.installSnapshot(2, chunks);
        assertEquals(0, w.operationsApplied());
        assertEquals(2, w.lastApplied());
    }
}
