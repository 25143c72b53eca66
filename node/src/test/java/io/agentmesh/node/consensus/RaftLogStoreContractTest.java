package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.persistence.RestoredRaftState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link RaftLogStore} contract every implementation keeps: durable points, a crash loses exactly the writes
 * after the last one, restore checks what it reads. Shared (test jar) with the simulator's in-memory store.
 */
public abstract class RaftLogStoreContractTest {
    protected static final RaftCodec CODEC = new RaftCodec();
    protected static final RaftModelFactory F = CODEC.modelFactory();
    protected static final MeshEndpoint A = new MeshEndpoint("node-a");
    protected static final MeshEndpoint B = new MeshEndpoint("node-b");

    protected RaftLogStore store;

    /** A new, empty store. */
    protected abstract RaftLogStore openStore() throws IOException;

    /** The process dies (writes after the last durable point are lost) and a new one opens the same store. */
    protected abstract RaftLogStore crashAndReopen(RaftLogStore crashed) throws IOException;

    @BeforeEach
    void openTheStore() throws IOException {
        store = openStore();
    }

    @AfterEach
    void closeTheStore() throws IOException {
        store.close();
    }

    protected static LogEntry entry(long index, int term) {
        return F.createLogEntryBuilder().setIndex(index).setTerm(term)
                .setOperation(new Claim("i" + index, "job", "node-a", term)).build();
    }

    protected static RaftGroupMembersView members() {
        return F.createRaftGroupMembersViewBuilder().setLogIndex(0).setMembers(List.of(A, B))
                .setVotingMembers(List.of(A, B)).build();
    }

    protected static SnapshotChunk chunk(long index, int i, int count) {
        return F.createSnapshotChunkBuilder().setIndex(index).setTerm(2).setSnapshotChunkIndex(i)
                .setSnapshotChunkCount(count).setGroupMembersView(members())
                .setOperation(new JournalSnapshotChunk(List.of(), List.of("t" + i))).build();
    }

    protected static void init(RaftLogStore s, int term) throws IOException {
        s.persistAndFlushLocalEndpoint(F.createRaftEndpointPersistentStateBuilder().setLocalEndpoint(A)
                .setVoting(true).build());
        s.persistAndFlushInitialGroupMembers(members());
        s.persistAndFlushTerm(F.createRaftTermPersistentStateBuilder().setTerm(term).setVotedFor(B).build());
    }

    protected static List<Long> indices(RestoredRaftState r) {
        List<Long> out = new ArrayList<>();
        r.getLogEntries().forEach(e -> out.add(e.getIndex()));
        return out;
    }

    @Test
    void freshStoreRestoresNothing() throws IOException {
        assertTrue(store.restore().isEmpty());
    }

    @Test
    void flushedStateSurvivesACrashAndUnflushedWritesDoNot() throws IOException {
        init(store, 4);
        store.persistLogEntries(List.of(entry(1, 1), entry(2, 1), entry(3, 4)));
        store.flush();
        store.persistLogEntries(List.of(entry(4, 4), entry(5, 4))); // not flushed
        store = crashAndReopen(store);

        RestoredRaftState r = store.restore().orElseThrow();
        assertEquals(A, r.getLocalEndpointPersistentState().getLocalEndpoint());
        assertTrue(r.getLocalEndpointPersistentState().isVoting());
        assertEquals(List.of(A, B), new ArrayList<>(r.getInitialGroupMembers().getMembers()));
        assertEquals(4, r.getTermPersistentState().getTerm());
        assertEquals(B, r.getTermPersistentState().getVotedFor());
        assertNull(r.getSnapshotEntry());
        assertEquals(List.of(1L, 2L, 3L), indices(r));
        assertEquals(new Claim("i3", "job", "node-a", 4), r.getLogEntries().get(2).getOperation());
    }

    @Test
    void aTermChangeIsADurablePointForEverythingBeforeIt() throws IOException {
        init(store, 1);
        store.persistLogEntries(List.of(entry(1, 1)));
        store.persistAndFlushTerm(F.createRaftTermPersistentStateBuilder().setTerm(2).setVotedFor(null).build());
        store = crashAndReopen(store);
        RestoredRaftState r = store.restore().orElseThrow();
        assertEquals(2, r.getTermPersistentState().getTerm());
        assertNull(r.getTermPersistentState().getVotedFor());
        assertEquals(List.of(1L), indices(r));
    }

    @Test
    void truncatedSuffixIsReplaced() throws IOException {
        init(store, 3);
        store.persistLogEntries(List.of(entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)));
        store.flush();
        store.truncateLogEntriesFrom(3);
        store.persistLogEntries(List.of(entry(3, 3)));
        store.flush();
        store = crashAndReopen(store);
        RestoredRaftState r = store.restore().orElseThrow();
        assertEquals(List.of(1L, 2L, 3L), indices(r));
        assertEquals(3, r.getLogEntries().get(2).getTerm());
    }

    @Test
    void newestCompleteSnapshotWinsAndOnlyLaterEntriesAreRestored() throws IOException {
        init(store, 2);
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            entries.add(entry(i, 2));
        }
        store.persistLogEntries(entries);
        store.persistSnapshotChunk(chunk(5, 1, 2)); // any order
        store.persistSnapshotChunk(chunk(5, 0, 2));
        store.flush();
        store.truncateLogEntriesUntil(3); // a leader keeps a few entries before the snapshot for slow followers
        store.persistSnapshotChunk(chunk(9, 0, 2)); // a newer snapshot, half received
        store.flush();
        store = crashAndReopen(store);

        RestoredRaftState r = store.restore().orElseThrow();
        assertEquals(5, r.getSnapshotEntry().getIndex());
        assertEquals(2, r.getSnapshotEntry().getTerm());
        assertEquals(2, r.getSnapshotEntry().getSnapshotChunkCount());
        @SuppressWarnings("unchecked")
        List<SnapshotChunk> chunks = (List<SnapshotChunk>) r.getSnapshotEntry().getOperation();
        assertEquals(0, chunks.get(0).getSnapshotChunkIndex());
        assertEquals(List.of("t1"), ((JournalSnapshotChunk) chunks.get(1).getOperation()).tombstones());
        assertEquals(List.of(6L, 7L), indices(r));

        store.deleteSnapshotChunks(9, 2);
        store.truncateLogEntriesUntil(5);
        store.flush();
        store = crashAndReopen(store);
        r = store.restore().orElseThrow();
        assertEquals(5, r.getSnapshotEntry().getIndex());
        assertEquals(List.of(6L, 7L), indices(r));
    }

    @Test
    void aGapInTheLogFailsTheRestoreInsteadOfRestoringLess() throws IOException {
        init(store, 1);
        store.persistLogEntries(List.of(entry(1, 1), entry(2, 1), entry(4, 1)));
        store.flush();
        IOException e = assertThrows(IOException.class, () -> store.restore());
        assertTrue(e.getMessage().contains("gap"), e.getMessage());
    }
}
