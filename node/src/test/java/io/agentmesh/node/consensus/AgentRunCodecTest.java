package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.AgentFenceSnapshot;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalOp.AgentRun;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.SnapshotChunk;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
        SnapshotChunk c = RaftCodecTest.F.createSnapshotChunkBuilder().setIndex(2000).setTerm(7)
                .setSnapshotChunkIndex(1).setSnapshotChunkCount(2).setOperation(f)
                .setGroupMembersView(RaftCodecTest.F.createRaftGroupMembersViewBuilder().setLogIndex(1)
                        .setMembers(List.of(RaftCodecTest.A)).setVotingMembers(List.of(RaftCodecTest.A)).build())
                .build();
        assertEquals(f, CODEC.decodeSnapshotChunk(CODEC.encodeSnapshotChunk(c)).getOperation());
    }

    @Test
    void everyTruncationAndTrailingByteIsRefused() {
        for (Object op : List.of(new AgentRun("node-a", 7, 500), new AgentFenceSnapshot(FENCE))) {
            byte[] valid = CODEC.encodeOperation(op);
            for (int len = 0; len < valid.length; len++) {
                byte[] cut = Arrays.copyOf(valid, len);
                assertThrows(CodecException.class, () -> CODEC.decodeOperation(cut), op + " cut at " + len);
            }
            byte[] longer = Arrays.copyOf(valid, valid.length + 1);
            assertThrows(CodecException.class, () -> CODEC.decodeOperation(longer));
        }
    }

    @Test
    void fencedClaimsCarryingRunsAndCarriedListsRoundTripAndEveryTruncationIsRefused() {
        List<Object> ops = List.of(
                Claim.fenced("intent-1", "exec", "node-a", 7, new FencingToken(6, 2000), 1_764_000_000_000L),
                AgentRun.superseding("node-a", 7, 500, new FencingToken(6, 2000), List.of("a", "b")),
                AgentRun.superseding("node-a", 7, 500, null, List.of()),
                new io.agentmesh.node.actions.AdmittedIntentsSnapshot(List.of("b", "a")));
        for (Object op : ops) {
            byte[] valid = CODEC.encodeOperation(op);
            assertEquals(op, CODEC.decodeOperation(valid));
            for (int len = 0; len < valid.length; len++) {
                byte[] cut = Arrays.copyOf(valid, len);
                assertThrows(CodecException.class, () -> CODEC.decodeOperation(cut), op + " cut at " + len);
            }
            byte[] longer = Arrays.copyOf(valid, valid.length + 1);
            assertThrows(CodecException.class, () -> CODEC.decodeOperation(longer));
        }
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

    /** [version][OPERATION kind][tag] then the body, as the codec lays it out. */
    private static byte[] operation(int tag, java.util.function.Consumer<BoundedWriter> body) {
        BoundedWriter w = new BoundedWriter(1 << 16).u8(RaftCodec.FORMAT_VERSION).u8(RaftCodec.OPERATION).u8(tag);
        body.accept(w);
        return w.toByteArray();
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
        LogEntry e = RaftCodecTest.F.createLogEntryBuilder().setIndex(1).setTerm(1)
                .setOperation(new AgentFenceSnapshot(FENCE)).build();
        byte[] bytes = CODEC.encodeLogEntry(e);
        RaftCodecTest.assertMessage("does not belong here", () -> CODEC.decodeLogEntry(bytes));
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
