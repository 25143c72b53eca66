package io.agentmesh.sim.world;

import io.agentmesh.state.store.TestChanges;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.StoreException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedChangeStoreTest {
    private static final long FSYNC = 2_000_000L; // 2 ms
    private final SimLoop loop = new SimLoop(Trace.hashOnly());
    private final SimScheduler node = new SimScheduler(loop, "n1", 0);
    private final SimDisk disk = new SimDisk("n1");
    private final SimulatedChangeStore store = disk.open(DiskTimer.of(node), () -> FSYNC, 0, 100);

    @Test
    void anAppendIsAcknowledgedAndVisibleOnlyAfterTheFsyncLatency() {
        CompletableFuture<Void> f = store.append(TestChanges.change(1, 1));
        loop.runUntil(FSYNC - 1);
        assertFalse(f.isDone());
        assertEquals(0, store.changeCount());
        assertEquals(0, store.vector().get(TestChanges.actor(1)));
        loop.runUntil(FSYNC);
        assertTrue(f.isDone());
        assertEquals(1, store.vector().get(TestChanges.actor(1)));
    }

    @Test
    void metadataWritesAndSnapshotsBlockTheNodeForAnFsyncAndReadsForTheirReadLatency() {
        SimDisk other = new SimDisk("n2");
        SimScheduler n2 = new SimScheduler(loop, "n2", 0);
        SimulatedChangeStore timed = other.open(DiskTimer.of(n2), () -> FSYNC, 50_000, 100);
        long[] nextRanAt = {-1};
        n2.execute(() -> {
            timed.putMeta("cursor", new byte[] {1});
            timed.saveSnapshot(new Snapshot(0, new byte[] {2}));
            timed.getMeta("cursor");
            timed.read(TestChanges.actor(1), 1, 10);
            n2.execute(() -> nextRanAt[0] = loop.nowNanos());
        });
        loop.runUntil(1_000_000_000L);
        assertEquals(2 * FSYNC + 2 * 50_000, nextRanAt[0], "two fsyncs and two reads held the node up");
    }

    @Test
    void asyncMetadataSnapshotAndReadCallsHoldNobodyAndCompleteAfterTheirLatency() {
        SimDisk other = new SimDisk("n2");
        SimScheduler n2 = new SimScheduler(loop, "n2", 0);
        SimulatedChangeStore timed = other.open(DiskTimer.of(n2), () -> FSYNC, 50_000, 100);
        long[] nextRanAt = {-1};
        long[] metaDurableAt = {-1};
        long[] readAt = {-1};
        n2.execute(() -> {
            timed.putMetaAsync("cursor", new byte[] {1}).thenRun(() -> metaDurableAt[0] = loop.nowNanos());
            timed.saveSnapshotAsync(new Snapshot(0, new byte[] {2}));
            timed.readAsync(TestChanges.actor(1), 1, 10).thenRun(() -> readAt[0] = loop.nowNanos());
            n2.execute(() -> nextRanAt[0] = loop.nowNanos());
        });
        loop.runUntil(1_000_000_000L);
        assertEquals(0, nextRanAt[0], "nothing held the node");
        assertEquals(FSYNC, metaDurableAt[0], "durable after one group commit");
        assertEquals(50_000, readAt[0], "read after the read latency");
        assertEquals(1, other.fsyncs(), "the metadata value and the snapshot shared one commit");
        assertTrue(timed.getMeta("cursor").isPresent());
        assertTrue(timed.latestSnapshot().isPresent());
    }

    @Test
    void anAsyncMetadataWriteLandsBehindTheAppendsQueuedBeforeItAndACrashLosesItWithThem() {
        store.append(TestChanges.change(1, 1));
        CompletableFuture<Void> meta = store.putMetaAsync("cursor", new byte[] {1});
        loop.runUntil(FSYNC / 2);
        store.crash();
        loop.runUntil(10 * FSYNC);
        assertFalse(meta.isDone());
        assertTrue(disk.getMeta("cursor").isEmpty());
        assertEquals(0, disk.durableChanges());
    }

    @Test
    void appendsMadeInOneEventShareOneGroupCommitAndCompleteInOrder() {
        List<Integer> order = new ArrayList<>();
        for (int seq = 1; seq <= 5; seq++) {
            int s = seq;
            store.append(TestChanges.change(1, seq)).thenRun(() -> order.add(s));
        }
        loop.runUntil(10 * FSYNC);
        assertEquals(List.of(1, 2, 3, 4, 5), order);
        assertEquals(1, disk.fsyncs());
        assertEquals(5, store.largestBatch());
    }

    @Test
    void appendsArrivingDuringAnFsyncWaitForTheNextOne() {
        store.append(TestChanges.change(1, 1));
        loop.runUntil(FSYNC / 2);
        CompletableFuture<Void> second = store.append(TestChanges.change(1, 2));
        loop.runUntil(FSYNC);
        assertFalse(second.isDone());
        loop.runUntil(2 * FSYNC + FSYNC / 2);
        assertTrue(second.isDone());
        assertEquals(2, disk.fsyncs());
    }

    @Test
    void aCrashKeepsExactlyWhatWasDurableAndLosesTheRest() {
        store.append(TestChanges.change(1, 1));
        loop.runUntil(FSYNC);
        CompletableFuture<Void> inFlight = store.append(TestChanges.change(1, 2));
        loop.runUntil(FSYNC + FSYNC / 2);
        CompletableFuture<Void> queued = store.append(TestChanges.change(1, 3));
        node.kill();
        store.crash();
        loop.runUntil(100 * FSYNC);
        assertFalse(inFlight.isDone(), "nobody is left to hear about a write the crash lost");
        assertFalse(queued.isDone());
        SimulatedChangeStore reopened = disk.open(DiskTimer.of(new SimScheduler(loop, "n1", 0)), () -> FSYNC, 0, 100);
        assertEquals(1, reopened.vector().get(TestChanges.actor(1)));
        assertEquals(List.of(TestChanges.change(1, 1)), reopened.read(TestChanges.actor(1), 1, 10));
    }

    @Test
    void aCrashedStoreRefusesEverything() {
        store.crash();
        assertTrue(store.append(TestChanges.change(1, 1)).isCompletedExceptionally());
        assertThrows(StoreException.class, store::vector);
        assertThrows(StoreException.class, () -> store.putMeta("k", new byte[]{1}));
    }

    @Test
    void metadataAndSnapshotsCommitTheQueueFirstAndAreDurableWhenTheyReturn() {
        CompletableFuture<Void> f = store.append(TestChanges.change(1, 1));
        store.putMeta("cursor", new byte[]{7});
        assertTrue(f.isDone(), "the queue is written before the metadata, as in the real store");
        store.saveSnapshot(new Snapshot(1, new byte[]{1, 2}));
        store.crash();
        SimulatedChangeStore reopened = disk.open(DiskTimer.of(new SimScheduler(loop, "n1", 0)), () -> FSYNC, 0, 100);
        assertEquals(7, reopened.getMeta("cursor").orElseThrow()[0]);
        assertEquals(1, reopened.latestSnapshot().orElseThrow().lastPosition());
        assertEquals(1, reopened.changeCount());
    }

    @Test
    void anEquivocatingChangeFailsWithoutFailingItsBatch() {
        store.append(TestChanges.changeWithText(1, 1, "original"));
        loop.runUntil(FSYNC);
        CompletableFuture<Void> bad = store.append(TestChanges.changeWithText(1, 1, "other"));
        CompletableFuture<Void> good = store.append(TestChanges.change(2, 1));
        CompletableFuture<Void> dup = store.append(TestChanges.changeWithText(1, 1, "original"));
        loop.runUntil(10 * FSYNC);
        assertTrue(bad.isCompletedExceptionally());
        assertTrue(good.isDone() && !good.isCompletedExceptionally());
        assertTrue(dup.isDone() && !dup.isCompletedExceptionally());
        assertEquals(2, store.changeCount());
    }

    @Test
    void onlyOneStoreIsOpenOnADiskAtATime() {
        assertThrows(StoreException.class, () -> disk.open(DiskTimer.of(node), () -> FSYNC, 0, 10));
        store.close();
        disk.open(DiskTimer.of(node), () -> FSYNC, 0, 10).close();
    }

    @Test
    void everyDurableChangeIsReportedToTheObserver() {
        List<String> seen = new ArrayList<>();
        disk.observeDurable((name, c) -> seen.add(name + ":" + c.seq()));
        store.append(TestChanges.change(1, 1));
        store.append(TestChanges.change(1, 2));
        loop.runUntil(10 * FSYNC);
        assertEquals(List.of("n1:1", "n1:2"), seen);
    }

    @Test
    void wipingTheDiskLosesEverything() {
        store.append(TestChanges.change(1, 1));
        store.close();
        disk.wipe();
        SimulatedChangeStore reopened = disk.open(DiskTimer.of(node), () -> FSYNC, 0, 10);
        assertEquals(0, reopened.changeCount());
        assertTrue(reopened.latestSnapshot().isEmpty());
    }

    static SignedChange change(int actor, long seq) {
        return TestChanges.change(actor, seq);
    }
}
