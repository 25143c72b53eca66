package io.agentmesh.state.store;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.ChangeStore.StoredChange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link ChangeStore} contract, for every implementation. A subclass supplies {@link #open()}, which must
 * return a store over the same durable state each time it is called after the previous instance was closed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ChangeStoreContractTest {
    protected static final long WAIT_SECONDS = 30;

    private final List<ChangeStore> opened = new ArrayList<>();

    /** Opens the store under test over this test's durable state. */
    protected abstract ChangeStore openStore();

    protected final ChangeStore open() {
        ChangeStore store = openStore();
        opened.add(store);
        return store;
    }

    protected final ChangeStore reopen(ChangeStore store) {
        store.close();
        return open();
    }

    @AfterEach
    void closeStores() {
        opened.forEach(ChangeStore::close);
    }

    protected static void awaitDone(CompletableFuture<Void> future) {
        try {
            future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("append did not complete normally", e);
        }
    }

    protected static Throwable failureOf(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> future.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void anAcknowledgedChangeIsReadableByActorAndByPosition() {
        ChangeStore store = open();
        SignedChange c = TestChanges.change(1, 1);
        awaitDone(store.append(c));
        assertEquals(List.of(c), store.read(c.actor(), 1, 10));
        assertEquals(List.of(new StoredChange(1, c)), store.readFrom(0, 10));
        assertEquals(1, store.changeCount());
        assertEquals(1, store.vector().get(c.actor()));
    }

    @Test
    void acknowledgedChangesSurviveCloseAndReopen() {
        ChangeStore store = open();
        List<SignedChange> written = new ArrayList<>();
        for (int seq = 1; seq <= 50; seq++) {
            SignedChange c = TestChanges.change(2, seq);
            written.add(c);
            awaitDone(store.append(c));
        }
        store = reopen(store);
        assertEquals(written, store.read(TestChanges.actor(2), 1, 100));
        assertEquals(50, store.changeCount());
    }

    @Test
    void appendingTheSameChangeAgainSucceedsAndStoresItOnce() {
        ChangeStore store = open();
        SignedChange c = TestChanges.change(1, 1);
        awaitDone(store.append(c));
        awaitDone(store.append(c));
        assertEquals(1, store.changeCount());
        assertEquals(1, store.readFrom(0, 10).size());
    }

    @Test
    void differentBytesForAStoredActorAndSeqAreRefusedAndTheOriginalIsKept() {
        ChangeStore store = open();
        SignedChange original = TestChanges.changeWithText(1, 1, "original");
        SignedChange forged = TestChanges.changeWithText(1, 1, "equivocation");
        awaitDone(store.append(original));
        assertInstanceOf(StoreException.class, failureOf(store.append(forged)));
        assertEquals(List.of(original), store.read(original.actor(), 1, 10));
        store = reopen(store);
        assertEquals(List.of(original), store.read(original.actor(), 1, 10));
    }

    @Test
    void anEquivocatingChangeFailsAloneWhileChangesQueuedAroundItCommit() {
        ChangeStore store = open();
        awaitDone(store.append(TestChanges.changeWithText(1, 1, "original")));
        // Queued back to back, without waiting, so they normally share one batch.
        CompletableFuture<Void> before = store.append(TestChanges.change(2, 1));
        CompletableFuture<Void> bad = store.append(TestChanges.changeWithText(1, 1, "other"));
        CompletableFuture<Void> after = store.append(TestChanges.change(2, 2));
        awaitDone(before);
        assertInstanceOf(StoreException.class, failureOf(bad));
        awaitDone(after);
        assertEquals(2, store.vector().get(TestChanges.actor(2)));
        assertEquals(3, store.changeCount());
    }

    @Test
    void readFromReturnsChangesInAppendOrderAfterThePositionInPages() {
        ChangeStore store = open();
        List<SignedChange> appended = new ArrayList<>();
        for (int seq = 1; seq <= 10; seq++) {
            for (int actor = 1; actor <= 3; actor++) {
                SignedChange c = TestChanges.change(actor, seq);
                appended.add(c);
                awaitDone(store.append(c));
            }
        }
        List<StoredChange> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<StoredChange> page = store.readFrom(after, 7);
            if (page.isEmpty()) {
                break;
            }
            assertTrue(page.size() <= 7);
            all.addAll(page);
            after = page.getLast().position();
        }
        assertEquals(appended, all.stream().map(StoredChange::change).toList());
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i).position() > all.get(i - 1).position(), "positions increase");
        }
        assertEquals(all.subList(10, 30), store.readFrom(all.get(9).position(), 100));
        assertEquals(List.of(), store.readFrom(all.getLast().position(), 100));
    }

    @Test
    void readByActorStartsAtFromSeqGoesInSeqOrderAndStopsAtMaxCount() {
        ChangeStore store = open();
        // Appended out of seq order; read must still return seq order.
        for (long seq : new long[]{3, 1, 2, 5, 4, 6}) {
            awaitDone(store.append(TestChanges.change(1, seq)));
        }
        awaitDone(store.append(TestChanges.change(2, 1)));
        List<SignedChange> read = store.read(TestChanges.actor(1), 2, 3);
        assertEquals(List.of(2L, 3L, 4L), read.stream().map(SignedChange::seq).toList());
        assertEquals(List.of(6L), store.read(TestChanges.actor(1), 6, 10).stream().map(SignedChange::seq).toList());
        assertEquals(List.of(), store.read(TestChanges.actor(1), 7, 10));
        assertEquals(List.of(), store.read(TestChanges.actor(3), 1, 10));
        assertEquals(List.of(), store.read(TestChanges.actor(1), 1, 0));
    }

    @Test
    void theVectorCountsOnlyTheContiguousPrefixOfEachActor() {
        ChangeStore store = open();
        awaitDone(store.append(TestChanges.change(1, 1)));
        awaitDone(store.append(TestChanges.change(1, 2)));
        awaitDone(store.append(TestChanges.change(1, 4)));
        awaitDone(store.append(TestChanges.change(2, 2)));
        assertEquals(2, store.vector().get(TestChanges.actor(1)));
        assertEquals(0, store.vector().get(TestChanges.actor(2)));
        assertEquals(4, store.changeCount());
        awaitDone(store.append(TestChanges.change(1, 3)));
        assertEquals(4, store.vector().get(TestChanges.actor(1)));
        assertEquals(Map.of(TestChanges.actor(1), 4L), store.vector().seqs());
    }

    @Test
    void theVectorAndChangeCountAreRebuiltOnReopen() {
        ChangeStore store = open();
        for (long seq : new long[]{1, 2, 3, 5}) {
            awaitDone(store.append(TestChanges.change(1, seq)));
        }
        awaitDone(store.append(TestChanges.change(2, 1)));
        VersionVector before = store.vector();
        store = reopen(store);
        assertEquals(before, store.vector());
        assertEquals(Map.of(TestChanges.actor(1), 3L, TestChanges.actor(2), 1L), store.vector().seqs());
        assertEquals(5, store.changeCount());
        // The change beyond the gap was remembered: filling the gap moves the vector past it.
        awaitDone(store.append(TestChanges.change(1, 4)));
        assertEquals(5, store.vector().get(TestChanges.actor(1)));
    }

    @Test
    void thereIsNoSnapshotUntilOneIsSaved() {
        assertTrue(open().latestSnapshot().isEmpty());
    }

    @Test
    void savingASnapshotReplacesTheOlderOneAndSurvivesReopen() {
        ChangeStore store = open();
        for (int seq = 1; seq <= 3; seq++) {
            awaitDone(store.append(TestChanges.change(1, seq)));
        }
        store.saveSnapshot(new Snapshot(2, "doc at 2".getBytes(StandardCharsets.UTF_8)));
        store.saveSnapshot(new Snapshot(3, "doc at 3".getBytes(StandardCharsets.UTF_8)));
        assertEquals(3, store.latestSnapshot().orElseThrow().lastPosition());
        store = reopen(store);
        Snapshot latest = store.latestSnapshot().orElseThrow();
        assertEquals(3, latest.lastPosition());
        assertArrayEquals("doc at 3".getBytes(StandardCharsets.UTF_8), latest.document());
    }

    @Test
    void aSnapshotClaimingChangesTheStoreDoesNotHoldIsRefused() {
        ChangeStore store = open();
        awaitDone(store.append(TestChanges.change(1, 1)));
        assertThrows(IllegalArgumentException.class, () -> store.saveSnapshot(new Snapshot(2, new byte[]{1})));
        assertTrue(store.latestSnapshot().isEmpty());
    }

    @Test
    void metadataRoundTripsIsOverwrittenAndSurvivesReopen() {
        ChangeStore store = open();
        assertTrue(store.getMeta("incarnation").isEmpty());
        store.putMeta("incarnation", new byte[]{1});
        store.putMeta("incarnation", new byte[]{2});
        store.putMeta("cursor/peer-a", new byte[]{9, 9});
        store = reopen(store);
        assertArrayEquals(new byte[]{2}, store.getMeta("incarnation").orElseThrow());
        assertArrayEquals(new byte[]{9, 9}, store.getMeta("cursor/peer-a").orElseThrow());
        assertTrue(store.getMeta("missing").isEmpty());
    }

    @Test
    void closeWritesEverythingAlreadyQueuedBeforeReturning() {
        ChangeStore store = open();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int seq = 1; seq <= 2_000; seq++) {
            futures.add(store.append(TestChanges.change(1, seq)));
        }
        store.close();
        for (CompletableFuture<Void> f : futures) {
            assertTrue(f.isDone(), "close returned with an append still pending");
            awaitDone(f);
        }
        store = open();
        assertEquals(2_000, store.vector().get(TestChanges.actor(1)));
    }

    @Test
    void operationsAfterCloseFailWithAStoreException() {
        ChangeStore store = open();
        store.close();
        assertInstanceOf(StoreException.class, failureOf(store.append(TestChanges.change(1, 1))));
        assertThrows(StoreException.class, () -> store.read(TestChanges.actor(1), 1, 1));
        assertThrows(StoreException.class, () -> store.readFrom(0, 1));
        assertThrows(StoreException.class, () -> store.putMeta("k", new byte[]{1}));
        assertThrows(StoreException.class, () -> store.saveSnapshot(new Snapshot(0, new byte[]{1})));
        assertThrows(StoreException.class, store::vector);
        store.close();
    }

    @Test
    void concurrentAppendersAllBecomeDurableWithDistinctPositions() throws Exception {
        ChangeStore store = open();
        int writers = 8;
        int perWriter = 300;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int actor = w + 1;
                done.add(pool.submit(() -> {
                    List<CompletableFuture<Void>> mine = new ArrayList<>();
                    for (int seq = 1; seq <= perWriter; seq++) {
                        mine.add(store.append(TestChanges.change(actor, seq)));
                        if (seq % 10 == 0) {
                            awaitDone(mine.getLast());
                        }
                    }
                    mine.forEach(ChangeStoreContractTest::awaitDone);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        ChangeStore reopened = reopen(store);
        List<StoredChange> all = reopened.readFrom(0, writers * perWriter + 10);
        assertEquals(writers * perWriter, all.size());
        Set<Long> positions = new HashSet<>();
        all.forEach(sc -> positions.add(sc.position()));
        assertEquals(all.size(), positions.size());
        for (int w = 1; w <= writers; w++) {
            assertEquals(perWriter, reopened.vector().get(TestChanges.actor(w)));
        }
    }

    @Test
    void closingTwiceIsHarmless() {
        ChangeStore store = open();
        store.close();
        store.close();
        assertInstanceOf(StoreException.class, failureOf(store.append(TestChanges.change(1, 1))));
    }
}
