package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.microraft.RaftEndpoint;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.message.AppendEntriesSuccessResponse;
import io.microraft.model.message.RaftMessage;
import io.microraft.transport.Transport;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a witness keeps of the Raft group (a count), and what it never sends (requests for votes). */
class WitnessStateMachineTest {
    private static final RaftCodec CODEC = RaftCodecTest.CODEC;
    private static final MeshEndpoint A = RaftCodecTest.A;
    private static final MeshEndpoint B = RaftCodecTest.B;

    @Test
    void aWitnessAppliesOperationsWithoutKeepingThemAndItsSnapshotHoldsOnlyTheCount() {
        WitnessStateMachine w = new WitnessStateMachine();
        assertNull(w.runOperation(1, new Claim("intent-1", "job", "node-a", 1)));
        assertNull(w.runOperation(2, NewTerm.INSTANCE));
        assertEquals(2, w.operationsApplied());
        assertEquals(2, w.lastApplied());
        List<Object> chunks = new ArrayList<>();
        w.takeSnapshot(2, chunks::add);
        assertEquals(List.of(new WitnessStateMachine.Snapshot(2)), chunks);

        WitnessStateMachine restarted = new WitnessStateMachine();
        restarted.installSnapshot(2, chunks);
        assertEquals(2, restarted.operationsApplied());
        assertEquals(2, restarted.lastApplied());
    }

    @Test
    void aWitnessInstallingTheLeadersJournalSnapshotKeepsNothingOfIt() {
        ActionJournal journal = new ActionJournal(10);
        journal.runOperation(1, new Claim("intent-1", "job", "node-a", 1));
        List<Object> chunks = new ArrayList<>();
        journal.takeSnapshot(1, chunks::add);
        WitnessStateMachine w = new WitnessStateMachine();
        w.installSnapshot(1, chunks);
        assertEquals(1, w.lastApplied());
        assertEquals(0, w.operationsApplied());
    }

    @Test
    void aWitnessSnapshotIsStoredThroughTheCodecButNeverInstalledIntoAJournal() {
        SnapshotChunk chunk = CODEC.modelFactory().createSnapshotChunkBuilder().setIndex(9).setTerm(2)
                .setSnapshotChunkIndex(0).setSnapshotChunkCount(1).setOperation(new WitnessStateMachine.Snapshot(7))
                .setGroupMembersView(CODEC.modelFactory().createRaftGroupMembersViewBuilder().setLogIndex(0)
                        .setMembers(List.of(A, B)).setVotingMembers(List.of(A, B)).build())
                .build();
        SnapshotChunk back = CODEC.decodeSnapshotChunk(CODEC.encodeSnapshotChunk(chunk));
        assertEquals(new WitnessStateMachine.Snapshot(7), back.getOperation());
        assertEquals(new WitnessStateMachine.Snapshot(7),
                CODEC.decodeOperation(CODEC.encodeOperation(new WitnessStateMachine.Snapshot(7))));

        LogEntry misplaced = CODEC.modelFactory().createLogEntryBuilder().setIndex(1).setTerm(1)
                .setOperation(new WitnessStateMachine.Snapshot(1)).build();
        byte[] bytes = CODEC.encodeLogEntry(misplaced);
        CodecException e = assertThrows(CodecException.class, () -> CODEC.decodeLogEntry(bytes));
        assertTrue(e.getMessage().contains("does not belong here"), e.getMessage());

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new ActionJournal(10).installSnapshot(9, List.of(new WitnessStateMachine.Snapshot(7))));
        assertTrue(refused.getMessage().contains("not a journal snapshot chunk"), refused.getMessage());
    }

    @Test
    void aWitnessNeverSendsPreVoteVoteOrTakeOverRequestsButSendsEverythingElse() {
        List<RaftMessage> sent = new ArrayList<>();
        WitnessTransport t = new WitnessTransport(new Transport() {
            @Override
            public void send(RaftEndpoint target, RaftMessage message) {
                sent.add(message);
            }

            @Override
            public boolean isReachable(RaftEndpoint endpoint) {
                return true;
            }
        });
        var f = CODEC.modelFactory();
        t.send(B, f.createPreVoteRequestBuilder().setGroupId("g").setSender(A).setTerm(2).setLastLogTerm(1)
                .setLastLogIndex(5).build());
        t.send(B, f.createVoteRequestBuilder().setGroupId("g").setSender(A).setTerm(2).setLastLogTerm(1)
                .setLastLogIndex(5).setSticky(false).build());
        t.send(B, f.createTriggerLeaderElectionRequestBuilder().setGroupId("g").setSender(A).setTerm(2)
                .setLastLogTerm(1).setLastLogIndex(5).build());
        t.send(B, f.createAppendEntriesSuccessResponseBuilder().setGroupId("g").setSender(A).setTerm(2)
                .setLastLogIndex(5).setQuerySequenceNumber(1).setFlowControlSequenceNumber(1).build());
        t.send(B, f.createVoteResponseBuilder().setGroupId("g").setSender(A).setTerm(2).setGranted(true).build());
        assertEquals(2, sent.size());
        assertInstanceOf(AppendEntriesSuccessResponse.class, sent.get(0));
        assertEquals(3, t.electionRequestsDropped());
        assertTrue(t.isReachable(B));
    }
}
