package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.persistence.RestoredRaftState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentmesh.node.actions.JournalSnapshotChunk;
/** Both stores against the same contract: durable points, crash loses exactly the rest, restore checks. */
class RaftLogStoreTest {
    static final RaftCodec CODEC = new RaftCodec();
    static final RaftModelFactory F = CODEC.modelFactory();
    static final MeshEndpoint A = new MeshEndpoint("node-a");
    static final MeshEndpoint B = new MeshEndpoint("node-b");

    @TempDir
    Path dir;

    /** A store plus the way to crash and reopen it. */
    abstract static class Harness {
        RaftLogStore store;

        abstract void crashAndReopen() throws IOException;
    }

    Harness harness(String kind) throws IOException {
        if (kind.equals("memory")) {
            Harness h = new Harness() {
                @Override
                void crashAndReopen() {
                    ((InMemoryRaftStore) store).crash();
                }
            };
            h.store = new InMemoryRaftStore();
            return h;
        }
        Path file = dir.resolve("state").resolve("raft.db");
        Harness h = new Harness() {
            @Override
            void crashAndReopen() throws IOException {
                ((SqliteRaftStore) store).abandon();
                store = SqliteRaftStore.open(file, CODEC);
            }
        };
        h.store = SqliteRaftStore.open(file, CODEC);
        return h;
    }

    static LogEntry entry(long index, int term) {
        return F.createLogEntryBuilder().setIndex(index).setTerm(term)
                .setOperation(new Claim("i" + index, "job", "node-a", term)).build();
    }

    static RaftGroupMembersView members() {
        return F.createRaftGroupMembersViewBuilder().setLogIndex(0).setMembers(List.of(A, B))
                .setVotingMembers(List.of(A, B)).build();
    }

    static SnapshotChunk chunk(long index, int i, int count) {
        return F.createSnapshotChunkBuilder().setIndex(index).setTerm(2).setSnapshotChunkIndex(i)
                .setSnapshotChunkCount(count).setGroupMembersView(members())
                .setOperation(new JournalSnapshotChunk(List.of(), List.of("t" + i))).build();
    }

    static void init(RaftLogStore s, int term) throws IOException {
        s.persistAndFlushLocalEndpoint(F.createRaftEndpointPersistentStateBuilder().setLocalEndpoint(A)
                .setVoting(true).build());
        s.persistAndFlushInitialGroupMembers(members());
        s.persistAndFlushTerm(F.createRaftTermPersistentStateBuilder().setTerm(term).setVotedFor(B).build());
    }

    static List<Long> indices(RestoredRaftState r) {
        List<Long> out = new ArrayList<>();
        r.getLogEntries().forEach(e -> out.add(e.getIndex()));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite"})
    void freshStoreRestoresNothing(String kind) throws IOException {
        Harness h = harness(kind);
        assertTrue(h.store.restore().isEmpty());
        h.store.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite"})
    void flushedStateSurvivesACrashAndUnflushedWritesDoNot(String kind) throws IOException {
        Harness h = harness(kind);
        init(h.store, 4);
        h.store.persistLogEntries(List.of(entry(1, 1), entry(2, 1), entry(3, 4)));
        h.store.flush();
        h.store.persistLogEntries(List.of(entry(4, 4), entry(5, 4))); // not flushed
        h.crashAndReopen();

        RestoredRaftState r = h.store.restore().orElseThrow();
        assertEquals(A, r.getLocalEndpointPersistentState().getLocalEndpoint());
        assertTrue(r.getLocalEndpointPersistentState().isVoting());
        assertEquals(List.of(A, B), new ArrayList<>(r.getInitialGroupMembers().getMembers()));
        assertEquals(4, r.getTermPersistentState().getTerm());
        assertEquals(B, r.getTermPersistentState().getVotedFor());
        assertNull(r.getSnapshotEntry());
        assertEquals(List.of(1L, 2L, 3L), indices(r));
        assertEquals(new Claim("i3", "job", "node-a", 4), r.getLogEntries().get(2).getOperation());
        h.store.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite"})
    void aTermChangeIsADurablePointForEverythingBeforeIt(String kind) throws IOException {
        Harness h = harness(kind);
        init(h.store, 1);
        h.store.persistLogEntries(List.of(entry(1, 1)));
        h.store.persistAndFlushTerm(F.createRaftTermPersistentStateBuilder().setTerm(2).setVotedFor(null).build());
        h.crashAndReopen();
        RestoredRaftState r = h.store.restore().orElseThrow();
        assertEquals(2, r.getTermPersistentState().getTerm());
        assertNull(r.getTermPersistentState().getVotedFor());
        assertEquals(List.of(1L), indices(r));
        h.store.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite"})
    void truncatedSuffixIsReplaced(String kind) throws IOException {
        Harness h = harness(kind);
        init(h.store, 3);
        h.store.persistLogEntries(List.of(entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)));
        h.store.flush();
        h.store.truncateLogEntriesFrom(3);
        h.store.persistLogEntries(List.of(entry(3, 3)));
        h.store.flush();
        h.crashAndReopen();
        RestoredRaftState r = h.store.restore().orElseThrow();
        assertEquals(List.of(1L, 2L, 3L), indices(r));
        assertEquals(3, r.getLogEntries().get(2).getTerm());
        h.store.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite"})
    void newestCompleteSnapshotWinsAndOnlyLaterEntriesAreRestored(String kind) throws IOException {
        Harness h = harness(kind);
        init(h.store, 2);
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            entries.add(entry(i, 2));
        }
        h.store.persistLogEntries(entries);
        h.store.persistSnapshotChunk(chunk(5, 1, 2)); // any order
        h.store.persistSnapshotChunk(chunk(5, 0, 2));
        h.store.flush();
        h.store.truncateLogEntriesUntil(3); // a leader keeps a few entries before the snapshot for slow followers
        h.store.persistSnapshotChunk(chunk(9, 0, 2)); // a newer snapshot, half received
        h.store.flush();
        h.crashAndReopen();

        RestoredRaftState r = h.store.restore().orElseThrow();
        assertEquals(5, r.getSnapshotEntry().getIndex());
        assertEquals(2, r.getSnapshotEntry().getTerm());
        assertEquals(2, r.getSnapshotEntry().getSnapshotChunkCount());
        @SuppressWarnings("unchecked")
        List<SnapshotChunk> chunks = (List<SnapshotChunk>) r.getSnapshotEntry().getOperation();
        assertEquals(0, chunks.get(0).getSnapshotChunkIndex());
        assertEquals(List.of("t1"), ((JournalSnapshotChunk) chunks.get(1).getOperation()).tombstones());
        assertEquals(List.of(6L, 7L), indices(r));

        h.store.deleteSnapshotChunks(9, 2);
        h.store.truncateLogEntriesUntil(5);
        h.store.flush();
        h.crashAndReopen();
        r = h.store.restore().orElseThrow();
        assertEquals(5, r.getSnapshotEntry().getIndex());
        assertEquals(List.of(6L, 7L), indices(r));
        h.store.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite"})
    void aGapInTheLogFailsTheRestoreInsteadOfRestoringLess(String kind) throws IOException {
        Harness h = harness(kind);
        init(h.store, 1);
        h.store.persistLogEntries(List.of(entry(1, 1), entry(2, 1), entry(4, 1)));
        h.store.flush();
        IOException e = assertThrows(IOException.class, () -> h.store.restore());
        assertTrue(e.getMessage().contains("gap"), e.getMessage());
        h.store.close();
    }

    @Test
    void sqliteRefusesForeignFilesCorruptRowsAndUseAfterClose() throws Exception {
        Path foreign = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + foreign);
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x)");
            s.execute("PRAGMA application_id = 7");
        }
        IOException notOurs = assertThrows(IOException.class, () -> SqliteRaftStore.open(foreign, CODEC));
        assertTrue(notOurs.getMessage().contains("not an agentmesh Raft log"), notOurs.getMessage());

        Path file = dir.resolve("raft.db");
        SqliteRaftStore store = SqliteRaftStore.open(file, CODEC);
        init(store, 1);
        store.persistLogEntries(List.of(entry(1, 1)));
        store.close();
        assertThrows(IOException.class, store::flush);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("UPDATE raft_log SET entry = X'01200000' WHERE idx = 1");
        }
        try (SqliteRaftStore reopened = SqliteRaftStore.open(file, CODEC)) {
            IOException bad = assertThrows(IOException.class, reopened::restore);
            assertTrue(bad.getMessage().contains(file.toString()) && bad.getMessage().contains("does not decode"),
                    bad.getMessage());
        }
        assertTrue(Files.exists(file));
    }

    @Test
    void anEmptyOrTruncatedRaftLogIsRefusedInsteadOfStartingWithNoTermOrVote() throws Exception {
        Path file = dir.resolve("raft.db");
        try (SqliteRaftStore store = SqliteRaftStore.open(file, CODEC)) {
            init(store, 3);
        }
        byte[] complete = Files.readAllBytes(file);
        Files.write(file, new byte[0]);
        IOException empty = assertThrows(IOException.class, () -> SqliteRaftStore.open(file, CODEC));
        assertTrue(empty.getMessage().contains(file.toString()) && empty.getMessage().contains("empty"),
                empty.getMessage());
        assertTrue(empty.getMessage().contains("forgets its term and vote"), empty.getMessage());
        assertEquals(0, Files.size(file), "a refused open leaves the file as it was");

        Files.write(file, java.util.Arrays.copyOf(complete, complete.length - 100));
        IOException cut = assertThrows(IOException.class, () -> SqliteRaftStore.open(file, CODEC));
        assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());
    }

    @Test
    void aRaftLogWrittenByANewerSchemaIsRefusedWithTheVersions() throws Exception {
        Path file = dir.resolve("raft.db");
        try (SqliteRaftStore store = SqliteRaftStore.open(file, CODEC)) {
            init(store, 1);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + (SqliteRaftStore.SCHEMA_VERSION + 1));
        }
        IOException e = assertThrows(IOException.class, () -> SqliteRaftStore.open(file, CODEC));
        assertTrue(e.getMessage().contains("newer agentmesh (Raft log schema " + (SqliteRaftStore.SCHEMA_VERSION + 1)),
                e.getMessage());
    }

    @Test
    void sqliteCommitsOncePerFlushAndNotAtAllWhenNothingChanged() throws IOException {
        try (SqliteRaftStore store = SqliteRaftStore.open(dir.resolve("raft.db"), CODEC)) {
            init(store, 1);
            long base = store.commits();
            for (int i = 1; i <= 50; i++) {
                store.persistLogEntries(List.of(entry(i, 1)));
            }
            store.flush();
            store.flush();
            assertEquals(base + 1, store.commits());
        }
    }

    @Test
    void failStopCallsOnFatalOnceAndRefusesEverythingAfter() throws IOException {
        InMemoryRaftStore inner = new InMemoryRaftStore();
        AtomicInteger fatal = new AtomicInteger();
        FailStopRaftStore store = new FailStopRaftStore(inner, reason -> fatal.incrementAndGet());
        store.persistLogEntries(List.of(entry(1, 1)));
        inner.failWith(new IOException("boom"));
        assertThrows(IOException.class, store::flush);
        inner.crash(); // the inner store would work again...
        IOException later = assertThrows(IOException.class, () -> store.persistLogEntries(List.of(entry(2, 1))));
        assertTrue(later.getMessage().contains("failed earlier")); // ...but nothing more reaches it
        assertEquals(1, fatal.get());
        assertTrue(store.failed());
    }
}
