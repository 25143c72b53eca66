package io.agentmesh.state.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit: callers put items on a bounded queue and never touch the disk; one writer thread takes everything
 * queued (up to {@link Limits#maxBatch}), hands it to a {@link BatchWriter} that makes it durable in one step (one
 * fsync for the whole batch), and only then completes the callers' futures. Futures are completed on the writer
 * thread: callbacks attached with {@code thenRun} run there and must not block; hand work to your own thread with the
 * {@code *Async} variants.
 *
 * <p><b>Overload.</b> When {@link Limits#maxQueued} items or {@link Limits#maxQueuedBytes} bytes are already
 * waiting, {@link #submit} fails at once with a {@link StoreException} saying the store is overloaded, instead of
 * blocking: its caller is the single-threaded node core, which must never stall on disk, and can turn the refusal
 * into back-pressure of its own (a 503 to an API client, a pause in pulling from peers).
 *
 * <p><b>Fail-stop.</b> When the writer cannot promise durability any more (a failed commit, or the writer thread
 * itself failing), the committer stops for good: that batch, everything queued and every later submit fail with the
 * same error. After a failed fsync the kernel may already have dropped the dirty pages and cleared the error, so a
 * retry could report durability it does not have. Restart the node.
 *
 * @param <T> what is written; the writer decides what an item means
 */
public final class GroupCommitter<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);
    private static final long STOP_TIMEOUT_SECONDS = 120;
    /** How long a {@link #submitAndWait} caller waits for room on the queue and then for durability. */
    public static final long SYNC_CALL_TIMEOUT_SECONDS = 600;

    /** Writes batches durably. Runs on the writer thread only. */
    public interface BatchWriter<T> {
        /**
         * Makes {@code batch} durable in one step and returns, for each item in order, {@code null} when it is
         * durable or the exception that refuses that item alone.
         *
         * @throws Exception when durability can no longer be promised (a failed commit): the committer stops for
         *                   good, and a {@link StoreException} thrown here is what every waiting and later caller
         *                   gets
         */
        List<RuntimeException> write(List<T> batch) throws Exception;

        /** Releases what the writer holds; called once, on the writer thread, as it exits. */
        void close();
    }

    /**
     * @param maxQueued      items that may wait for the writer
     * @param maxQueuedBytes bytes (as the submitter counts them) that may wait for the writer
     * @param maxBatch       items handed to the writer in one batch
     */
    public record Limits(int maxQueued, long maxQueuedBytes, int maxBatch) {
        public Limits {
            if (maxQueued < 1 || maxQueuedBytes < 1 || maxBatch < 1) {
                throw new IllegalArgumentException("maxQueued, maxQueuedBytes and maxBatch must be >= 1");
            }
        }
    }

    /** An item with its caller's future; {@code item == null} is the stop marker {@link #close} queues. */
    private record Entry<T>(T item, long bytes, CompletableFuture<Void> done) {
    }

    private final String label;
    private final Limits limits;
    private final BatchWriter<T> writer;
    private final ArrayBlockingQueue<Entry<T>> queue;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Thread thread;
    private final Object closeLock = new Object();

    private volatile boolean closed;
    private volatile boolean writerDone;
    private volatile StoreException broken;

    private GroupCommitter(String label, String threadName, Limits limits, BatchWriter<T> writer) {
        this.label = label;
        this.limits = limits;
        this.writer = writer;
        this.queue = new ArrayBlockingQueue<>(limits.maxQueued());
        this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::writeLoop);
    }

    /**
     * Starts the writer thread.
     *
     * @param label what errors name first, e.g. the file written
     */
    public static <T> GroupCommitter<T> start(String label, String threadName, Limits limits, BatchWriter<T> writer) {
        GroupCommitter<T> committer = new GroupCommitter<>(Objects.requireNonNull(label, "label"),
                Objects.requireNonNull(threadName, "threadName"), Objects.requireNonNull(limits, "limits"),
                Objects.requireNonNull(writer, "writer"));
        committer.thread.start();
        return committer;
    }

    /**
     * Queues {@code item} without waiting; the future completes once it is durable, or fails with the writer's
     * refusal. Fails at once, with nothing queued, when the limits are reached or the committer is closed or broken.
     *
     * @param bytes what the item counts against {@link Limits#maxQueuedBytes}
     */
    public CompletableFuture<Void> submit(T item, long bytes) {
        Objects.requireNonNull(item, "item");
        StoreException refusal = refusal();
        if (refusal != null) {
            return CompletableFuture.failedFuture(refusal);
        }
        if (queuedBytes.addAndGet(bytes) > limits.maxQueuedBytes()) {
            queuedBytes.addAndGet(-bytes);
            return CompletableFuture.failedFuture(overloaded());
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!queue.offer(new Entry<>(item, bytes, done))) {
            queuedBytes.addAndGet(-bytes);
            return CompletableFuture.failedFuture(overloaded());
        }
        if (writerDone) {
            // The writer left between our check and our offer; nothing will take the item off the queue but us.
            failQueued();
        }
        return done;
    }

    /**
     * Queues {@code item} and waits until it is durable. For rare writes whose callers can wait: they queue behind a
     * full queue (up to {@link #SYNC_CALL_TIMEOUT_SECONDS}) instead of being refused, and count no bytes.
     *
     * @throws StoreException when the item was refused, or did not become durable in time
     */
    public void submitAndWait(T item) {
        Objects.requireNonNull(item, "item");
        StoreException refusal = refusal();
        if (refusal != null) {
            throw refusal;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            if (!queue.offer(new Entry<>(item, 0, done), SYNC_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw overloaded();
            }
            if (writerDone) {
                failQueued();
            }
            done.get(SYNC_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(label + ": interrupted while waiting for the write; it may or may not be durable",
                    e);
        } catch (TimeoutException e) {
            throw new StoreException(label + ": the write did not become durable within " + SYNC_CALL_TIMEOUT_SECONDS
                    + " s; the disk is stalled or far too slow", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new StoreException(label + ": write failed: " + e.getCause(), e.getCause());
        }
    }

    /** Items waiting for the writer (not counting a batch it is writing). */
    public int queued() {
        return queue.size();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Why the committer stopped accepting writes after a failure, or {@code null} while it is healthy. */
    public StoreException failure() {
        return broken;
    }

    /**
     * Writes what is queued, waits for it to be durable and stops the writer.
     *
     * @throws StoreException when the writer did not finish in time; it may still be writing
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (!writerDone && !queue.offer(new Entry<>(null, 0, new CompletableFuture<>()), STOP_TIMEOUT_SECONDS,
                    TimeUnit.SECONDS)) {
                log.error("{}: the writer did not make room to stop within {} s", label, STOP_TIMEOUT_SECONDS);
            }
            thread.join(TimeUnit.SECONDS.toMillis(STOP_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new StoreException(label + ": the writer did not finish within " + STOP_TIMEOUT_SECONDS + " s");
        }
    }

    private StoreException refusal() {
        StoreException b = broken;
        if (b != null) {
            return b;
        }
        if (closed) {
            return closedError();
        }
        return null;
    }

    private StoreException closedError() {
        return new StoreException(label + ": the store is closed");
    }

    private StoreException overloaded() {
        return new StoreOverloadedException(label + ": store overloaded: " + queue.size() + " writes ("
                + (queuedBytes.get() >> 20) + " MiB) are already waiting for the disk (limits "
                + limits.maxQueued() + " writes, " + (limits.maxQueuedBytes() >> 20)
                + " MiB). This write was refused and is not stored; retry later. If it persists the disk is slower"
                + " than the write rate.");
    }

    /** Fails whatever is left on the queue once the writer has gone. */
    private void failQueued() {
        List<Entry<T>> left = new ArrayList<>();
        queue.drainTo(left);
        StoreException reason = refusal();
        if (reason == null) {
            reason = closedError();
        }
        for (Entry<T> e : left) {
            queuedBytes.addAndGet(-e.bytes());
            e.done().completeExceptionally(reason);
        }
    }

    // ---------------------------------------------------------------------------------------------- writer thread

    private void writeLoop() {
        List<Entry<T>> batch = new ArrayList<>();
        try {
            boolean stopping = false;
            while (!stopping) {
                batch.add(queue.take());
                queue.drainTo(batch, limits.maxBatch() - 1);
                for (Entry<T> e : batch) {
                    queuedBytes.addAndGet(-e.bytes());
                }
                int stopAt = indexOfStop(batch);
                if (stopAt >= 0) {
                    // Items behind the stop marker raced with close(); they are refused, like any item after close.
                    StoreException closedError = closedError();
                    for (Entry<T> e : batch.subList(stopAt, batch.size())) {
                        e.done().completeExceptionally(closedError);
                    }
                    batch.subList(stopAt, batch.size()).clear();
                    stopping = true;
                }
                if (!batch.isEmpty()) {
                    writeBatch(batch);
                }
                batch.clear();
            }
        } catch (Throwable t) {
            StoreException failure = t instanceof StoreException s ? s : new StoreException(label
                    + ": the store writer failed (" + t + "); the store accepts no more writes. Restart the node;"
                    + " acknowledged writes are safe.", t);
            broken = failure;
            log.error("{}", failure.getMessage(), t);
            for (Entry<T> e : batch) {
                e.done().completeExceptionally(failure);
            }
            if (t instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            writerDone = true;
            failQueued();
            writer.close();
        }
    }

    private void writeBatch(List<Entry<T>> batch) throws Exception {
        List<T> items = new ArrayList<>(batch.size());
        for (Entry<T> e : batch) {
            items.add(e.item());
        }
        List<RuntimeException> outcomes = writer.write(items);
        if (outcomes.size() != batch.size()) {
            throw new IllegalStateException("the writer returned " + outcomes.size() + " outcomes for "
                    + batch.size() + " items");
        }
        for (int i = 0; i < batch.size(); i++) {
            RuntimeException refusal = outcomes.get(i);
            if (refusal != null) {
                batch.get(i).done().completeExceptionally(refusal);
            } else {
                batch.get(i).done().complete(null);
            }
        }
    }

    private static <T> int indexOfStop(List<Entry<T>> batch) {
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i).item() == null) {
                return i;
            }
        }
        return -1;
    }
}
