package io.agentmesh.node.replication;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.VirtualScheduler;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalBatch;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.StoreException;
import io.agentmesh.state.store.ChangeStore.StoredChange;
import io.agentmesh.state.store.VersionVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Write batching in {@link ChangeAuthor}, with a store whose fsyncs the test completes by hand: writes that arrive
 * while a batch is on its way to disk become the next batch's one change, each caller is answered only once the
 * change holding its write is durable, and a bad write is answered with its error without touching its batch-mates.
 */
class ChangeAuthorBatchingTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long HOUR_MS = 3_600_000;

    private final SigningKey root = key(1);
    private final SigningKey me = key(2);
    private final LocalIdentity identity = new LocalIdentity(root.verifyingKey(), me,
            NodeCertificate.issue(root, me.verifyingKey(), Role.VOTER, NOW - HOUR_MS, NOW + HOUR_MS), 1);
    private final VirtualScheduler nodeThread = new VirtualScheduler();
    private final HeldStore store = new HeldStore();
    private final AgentState state = AgentState.create(identity.agentId().bytes(), identity.actor());
    private final List<String> fatal = new ArrayList<>();
    private final List<SignedChange> durable = new ArrayList<>();

    private static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    private ChangeAuthor author(WriteBatching batching) {
        ChangeAuthor author = new ChangeAuthor(identity, state, store, nodeThread, Runnable::run, fatal::add,
                batching);
        author.onDurable(durable::add);
        return author;
    }

    private static MemoryEntry entry(String id) {
        return new MemoryEntry(id, NOW, "node", "note", "text of " + id, List.of());
    }

    private static Function<AgentState, LocalChange> append(String id) {
        MemoryEntry e = entry(id);
        return s -> s.appendMemory(e);
    }

    private List<String> memoryIds() {
        return state.memory().stream().map(MemoryEntry::id).toList();
    }

    @Test
    void writesArrivingDuringAnFsyncShareTheNextChangeAndABadOneChangesNothing() {
        ChangeAuthor author = author(WriteBatching.DEFAULT);
        CompletableFuture<SignedChange> a = author.write(append("a"));
        assertEquals(1, store.appended.size(), "a write that finds nothing in flight goes out at once");
        CompletableFuture<SignedChange> b = author.write(append("b"));
        CompletableFuture<SignedChange> bad = author.write(s -> s.appendMemory(new MemoryEntry("", NOW, "node",
                "note", "an entry needs an id", List.of())));
        CompletableFuture<SignedChange> d = author.write(append("d"));
        assertEquals(List.of("a"), memoryIds(), "the others wait for the batch in flight");
        assertEquals(3, author.waitingWrites());

        store.fsync(0);
        nodeThread.runFor(0);
        assertEquals(1, a.join().seq());
        assertEquals(2, store.appended.size(), "the three waiting writes went out as one change");
        IllegalArgumentException refused = assertInstanceOf(IllegalArgumentException.class,
                assertThrows(CompletionException.class, bad::join).getCause());
        assertTrue(refused.getMessage().contains("memory entry id"), refused.getMessage());
        assertFalse(b.isDone(), "not before its change is durable");
        assertFalse(d.isDone());
        assertEquals(List.of("a", "b", "d"), memoryIds(), "exactly the good writes");

        store.fsync(1);
        nodeThread.runFor(0);
        assertSame(b.join(), d.join(), "b and d are answered with the one change holding both");
        assertEquals(2, b.join().seq());
        assertTrue(SignedChanges.verify(identity.agentId().bytes(), b.join()), "signed by this node");
        assertEquals(List.of(1L, 2L), durable.stream().map(SignedChange::seq).toList(), "pushed once each");
        assertEquals(new ChangeAuthor.BatchCounts(2, 4, 2), author.batchCounts());
    }

    @Test
    void aBatchTakesAtMostMaxWritesPerBatch() {
        ChangeAuthor author = author(new WriteBatching(2, 100, 1, LocalBatch.ChangeLimits.DEFAULT));
        List<CompletableFuture<SignedChange>> answers = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d", "e", "f")) {
            answers.add(author.write(append(id)));
        }
        for (int i = 0; i < 4; i++) {
            store.fsync(i);
            nodeThread.runFor(0);
        }
        assertEquals(List.of(1L, 2L, 2L, 3L, 3L, 4L), answers.stream().map(f -> f.join().seq()).toList());
    }

    @Test
    void withOneWritePerChangeEveryWriteIsItsOwnChangeAndTheyGoToTheStoreWithoutWaiting() {
        ChangeAuthor author = author(WriteBatching.writesPerChange(1));
        List<CompletableFuture<SignedChange>> answers = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            answers.add(author.write(append(id)));
        }
        assertEquals(3, store.appended.size(), "all three in flight at once, for the store to commit together");
        for (int i = 0; i < 3; i++) {
            store.fsync(i);
        }
        nodeThread.runFor(0);
        assertEquals(List.of(1L, 2L, 3L), answers.stream().map(f -> f.join().seq()).toList());
        assertEquals(new ChangeAuthor.BatchCounts(3, 3, 3), author.batchCounts());
    }

    @Test
    void writesPerChangeOutsideItsRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> WriteBatching.writesPerChange(0));
        assertThrows(IllegalArgumentException.class, () -> WriteBatching.writesPerChange(16_385));
        assertEquals(WriteBatching.DEFAULT, WriteBatching.writesPerChange(256));
    }

    @Test
    void pastTheQueueLimitAWriteIsRefusedAndChangesNothing() {
        ChangeAuthor author = author(new WriteBatching(256, 2, 1, LocalBatch.ChangeLimits.DEFAULT));
        author.write(append("a"));
        author.write(append("b"));
        author.write(append("c"));
        CompletableFuture<SignedChange> refused = author.write(append("d"));
        IllegalStateException e = assertInstanceOf(IllegalStateException.class,
                assertThrows(CompletionException.class, refused::join).getCause());
        assertTrue(e.getMessage().contains("refused and changed nothing"), e.getMessage());
        store.fsync(0);
        nodeThread.runFor(0);
        store.fsync(1);
        nodeThread.runFor(0);
        assertEquals(List.of("a", "b", "c"), memoryIds());
    }

    @Test
    void aFailedFsyncFailsTheWritesOfItsChangeAndEveryWaitingOne() {
        ChangeAuthor author = author(WriteBatching.DEFAULT);
        CompletableFuture<SignedChange> a = author.write(append("a"));
        CompletableFuture<SignedChange> b = author.write(append("b"));
        store.fail(0, new StoreException("the disk is gone"));
        nodeThread.runFor(0);
        assertInstanceOf(StoreException.class, assertThrows(CompletionException.class, a::join).getCause());
        IllegalStateException stopped = assertInstanceOf(IllegalStateException.class,
                assertThrows(CompletionException.class, b::join).getCause());
        assertTrue(stopped.getMessage().contains("stopped accepting writes"), stopped.getMessage());
        assertTrue(author.failed());
        assertEquals(1, fatal.size());
        assertEquals(1, store.appended.size(), "the waiting write was never applied");
        assertTrue(durable.isEmpty());
    }

    @Test
    void aCallerWritingAgainFromItsAnswerJoinsTheNextBatch() {
        ChangeAuthor author = author(WriteBatching.DEFAULT);
        CompletableFuture<SignedChange> second = new CompletableFuture<>();
        author.write(append("a")).thenRun(() -> author.write(append("b")).whenComplete((c, e) -> second.complete(c)));
        author.write(append("c"));
        store.fsync(0);
        nodeThread.runFor(0);
        assertEquals(2, store.appended.size(), "b and c went out together");
        store.fsync(1);
        nodeThread.runFor(0);
        assertEquals(List.of("a", "c", "b"), memoryIds(), "b after c, which was waiting already");
        assertEquals(2, second.join().seq());
    }

    /** A store that keeps every append's future for the test to complete, in order, as its fsyncs end. */
    private static final class HeldStore implements ChangeStore {
        final List<SignedChange> appended = new ArrayList<>();
        final List<CompletableFuture<Void>> pending = new ArrayList<>();

        void fsync(int index) {
            pending.get(index).complete(null);
        }

        void fail(int index, RuntimeException e) {
            pending.get(index).completeExceptionally(e);
        }

        @Override
        public CompletableFuture<Void> append(SignedChange change) {
            appended.add(change);
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }

        @Override
        public List<SignedChange> read(ActorId actor, long fromSeq, int maxCount) {
            return List.of();
        }

        @Override
        public List<StoredChange> readFrom(long afterPosition, int maxCount) {
            return List.of();
        }

        @Override
        public VersionVector vector() {
            return VersionVector.EMPTY;
        }

        @Override
        public long changeCount() {
            return appended.size();
        }

        @Override
        public void saveSnapshot(Snapshot snapshot) {
        }

        @Override
        public Optional<Snapshot> latestSnapshot() {
            return Optional.empty();
        }

        @Override
        public Optional<byte[]> getMeta(String key) {
            return Optional.empty();
        }

        @Override
        public void putMeta(String key, byte[] value) {
        }

        @Override
        public void close() {
        }
    }
}
