package io.agentmesh.state.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GroupCommitterTest {
    private static final long WAIT_SECONDS = 30;
    private static final GroupCommitter.Limits ROOMY = new GroupCommitter.Limits(1_000, 1 << 20, 1_000);

    /**
     * Writes batches into a list. While {@link #hold} is closed the writer waits inside {@link #write}, as on a
     * slow disk, so a test can queue a known batch behind it. Items starting with "bad" are refused alone; a batch
     * holding "fail-commit" throws, as a failed fsync would.
     */
    private static final class RecordingWriter implements GroupCommitter.BatchWriter<String> {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final AtomicInteger closes = new AtomicInteger();
        final CountDownLatch inside = new CountDownLatch(1);
        volatile CountDownLatch hold = new CountDownLatch(0);

        @Override
        public List<RuntimeException> write(List<String> batch) throws Exception {
            inside.countDown();
            assertTrue(hold.await(WAIT_SECONDS, TimeUnit.SECONDS), "test left the writer held");
            if (batch.contains("fail-commit")) {
                throw new StoreException("commit failed: disk full");
            }
            batches.add(List.copyOf(batch));
            List<RuntimeException> outcomes = new ArrayList<>();
            for (String item : batch) {
                outcomes.add(item.startsWith("bad") ? new IllegalArgumentException("refused " + item) : null);
            }
            return outcomes;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private final RecordingWriter writer = new RecordingWriter();
    private GroupCommitter<String> committer;

    private GroupCommitter<String> start(GroupCommitter.Limits limits) {
        committer = GroupCommitter.start("test.db", "test-writer", limits, writer);
        return committer;
    }

    @AfterEach
    void releaseAndClose() {
        writer.hold.countDown();
        if (committer != null) {
            committer.close();
        }
    }

    /**
     * Holds the writer inside its first batch (the item {@code first}); later items queue behind it. Returns a list
     * that holds the future of {@code first}, for the test to add its later ones to.
     */
    private List<CompletableFuture<Void>> holdWriterInside(GroupCommitter<String> c, String first)
            throws InterruptedException {
        writer.hold = new CountDownLatch(1);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        futures.add(c.submit(first, 1));
        assertTrue(writer.inside.await(WAIT_SECONDS, TimeUnit.SECONDS));
        return futures;
    }

    /** Holds the writer inside "a0" and queues "a1" to "a{@code items}" behind it; returns all their futures. */
    private List<CompletableFuture<Void>> queueBehindHeldWriter(GroupCommitter<String> c, int items)
            throws InterruptedException {
        List<CompletableFuture<Void>> futures = holdWriterInside(c, "a0");
        for (int i = 1; i <= items; i++) {
            futures.add(c.submit("a" + i, 1));
        }
        return futures;
    }

    private static void awaitDone(CompletableFuture<Void> f) {
        try {
            f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("expected success, got " + e, e);
        }
    }

    private static Throwable failureOf(CompletableFuture<Void> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void itemsQueuedWhileTheWriterIsBusyAreWrittenAsOneBatch() throws Exception {
        GroupCommitter<String> c = start(ROOMY);
        List<CompletableFuture<Void>> futures = queueBehindHeldWriter(c, 50);
        assertEquals(50, c.queued());
        writer.hold.countDown();
        futures.forEach(GroupCommitterTest::awaitDone);
        assertEquals(2, writer.batches.size());
        assertEquals(List.of("a0"), writer.batches.get(0));
        assertEquals(50, writer.batches.get(1).size());
    }

    @Test
    void aBatchNeverHoldsMoreThanMaxBatchItems() throws Exception {
        GroupCommitter<String> c = start(new GroupCommitter.Limits(1_000, 1 << 20, 8));
        List<CompletableFuture<Void>> futures = queueBehindHeldWriter(c, 20);
        writer.hold.countDown();
        futures.forEach(GroupCommitterTest::awaitDone);
        assertEquals(List.of(1, 8, 8, 4), writer.batches.stream().map(List::size).toList());
    }

    @Test
    void submitFailsAtOnceSayingOverloadedWhenTheItemLimitIsReachedAndQueuesNothing() throws Exception {
        GroupCommitter<String> c = start(new GroupCommitter.Limits(3, 1 << 20, 100));
        List<CompletableFuture<Void>> futures = queueBehindHeldWriter(c, 3);
        CompletableFuture<Void> refused = c.submit("over", 1);
        assertTrue(refused.isDone(), "a full queue must not make the caller wait");
        Throwable failure = failureOf(refused);
        assertInstanceOf(StoreException.class, failure);
        assertTrue(failure.getMessage().startsWith("test.db: store overloaded"), failure.getMessage());
        writer.hold.countDown();
        futures.forEach(GroupCommitterTest::awaitDone);
        assertTrue(writer.batches.stream().noneMatch(b -> b.contains("over")));
    }

    @Test
    void submitFailsAtOnceWhenTheByteLimitIsReachedAndTheBytesAreFreedOnceWritten() throws Exception {
        GroupCommitter<String> c = start(new GroupCommitter.Limits(100, 1_000, 100));
        List<CompletableFuture<Void>> futures = holdWriterInside(c, "a0");
        futures.add(c.submit("big", 900));
        CompletableFuture<Void> refused = c.submit("too-big", 200);
        assertTrue(failureOf(refused).getMessage().contains("overloaded"));
        writer.hold.countDown();
        futures.forEach(GroupCommitterTest::awaitDone);
        awaitDone(c.submit("fits-again", 900));
    }

    @Test
    void anItemTheWriterRefusesFailsAloneAndTheRestOfItsBatchSucceeds() throws Exception {
        GroupCommitter<String> c = start(ROOMY);
        holdWriterInside(c, "a0");
        CompletableFuture<Void> before = c.submit("a1", 1);
        CompletableFuture<Void> bad = c.submit("bad", 1);
        CompletableFuture<Void> after = c.submit("a2", 1);
        writer.hold.countDown();
        awaitDone(before);
        assertInstanceOf(IllegalArgumentException.class, failureOf(bad));
        awaitDone(after);
        assertEquals(List.of("a1", "bad", "a2"), writer.batches.get(1));
        assertSame(null, c.failure());
    }

    @Test
    void aFailedCommitStopsForGoodFailingTheBatchTheQueueAndEveryLaterWrite() throws Exception {
        GroupCommitter<String> c = start(ROOMY);
        List<CompletableFuture<Void>> futures = holdWriterInside(c, "fail-commit");
        CompletableFuture<Void> queued = c.submit("a1", 1);
        writer.hold.countDown();
        Throwable failure = failureOf(futures.getFirst());
        assertEquals("commit failed: disk full", failure.getMessage());
        assertSame(failure, failureOf(queued));
        assertSame(failure, c.failure());
        assertSame(failure, failureOf(c.submit("later", 1)));
        assertSame(failure, assertThrows(StoreException.class, () -> c.submitAndWait("later-sync")));
        await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> writer.closes.get() == 1);
        assertTrue(writer.batches.isEmpty(), "nothing was written after the failed commit");
    }

    @Test
    void submitAndWaitReturnsOnceTheItemIsWritten() {
        GroupCommitter<String> c = start(ROOMY);
        c.submitAndWait("sync");
        assertEquals(List.of(List.of("sync")), writer.batches);
    }

    @Test
    void submitAndWaitRethrowsTheWritersRefusal() {
        GroupCommitter<String> c = start(ROOMY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.submitAndWait("bad-sync"));
        assertEquals("refused bad-sync", e.getMessage());
        assertSame(null, c.failure());
    }

    @Test
    void closeWritesWhatIsQueuedThenRefusesNewItemsAndClosesTheWriterOnce() throws Exception {
        GroupCommitter<String> c = start(ROOMY);
        List<CompletableFuture<Void>> futures = queueBehindHeldWriter(c, 5);
        writer.hold.countDown();
        c.close();
        futures.forEach(f -> assertTrue(f.isDone() && !f.isCompletedExceptionally()));
        assertEquals(1, writer.closes.get());
        Throwable refused = failureOf(c.submit("late", 1));
        assertEquals("test.db: the store is closed", refused.getMessage());
        c.close();
        assertEquals(1, writer.closes.get());
    }
}
